// The sandbox demo's playground (option `playground`, on in the app's sandbox mode, never by
// default): a page where a person plays "something happened at Cronofy" (an event added to a
// calendar, a calendar profile that lost its credentials), to watch the app's push notifications
// and profile health at work. The same actions as the test control, as plain forms.
import { Router, type Request, type Response } from 'express';
import { one, type EmulatorContext } from './context';
import type { PushControl } from './types';

export function playgroundRoutes(ctx: EmulatorContext, control: PushControl): Router {
  const router = Router();

  const render = (res: Response, message?: string) =>
    res.render('playground', {
      message,
      accounts: ctx.state.world.accounts.map((a) => ({
        email: a.email,
        label: a.label,
        channels: ctx.channels.open(a.account_id).length,
        profiles: a.profiles.map((p) => ({ ...p, connected: ctx.profiles.connected(p.profile_id) })),
      })),
    });

  router.get('/playground', (_req: Request, res: Response) => render(res));

  router.post('/playground/change-event', (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const account = one(body.account) ?? '';
    const summary = (one(body.summary) ?? '').trim().slice(0, 200) || 'A new event';
    try {
      control.changeEvent(account, summary);
      render(res, `Added "${summary}" to ${account}'s primary calendar; its channels were notified.`);
    } catch {
      res.status(404);
      render(res, 'No such sample account.');
    }
  });

  router.post('/playground/disconnect-profile', (req: Request, res: Response) => {
    const profileId = one(((req.body ?? {}) as Record<string, unknown>).profile_id) ?? '';
    try {
      control.disconnectProfile(profileId);
      render(res, 'The profile is disconnected; its accounts\' channels got profile_disconnected.');
    } catch {
      res.status(404);
      render(res, 'No such profile.');
    }
  });

  return router;
}
