// The test control for push notifications, profile health and linking: what a test does to make
// Cronofy send something (an event changed in the calendar, a profile that lost its credentials,
// any notification type), and what it reads back (deliveries, open channels). Also over HTTP under
// /__emulator/ when controlApi is on.
import { createHash } from 'node:crypto';
import express, { Router } from 'express';
import { cronofyTime } from './channels';
import type { EmulatorContext } from './context';
import type { Notifier } from './notify';
import { disconnectProfile } from './profiles';
import { calendarsOf, type SeedAccount, type SeedEvent } from './seed';
import type { PushControl } from './types';

export function createPushControl(ctx: EmulatorContext, notifier: Notifier): PushControl & { reset(): void } {
  const added: SeedEvent[] = [];
  const accountNamed = (emailOrId: string): SeedAccount => {
    const all = [...ctx.state.world.accounts, ...ctx.state.world.organization.members.map((m) => m.account)];
    const account = all.find((a) => a.email === emailOrId || a.account_id === emailOrId);
    if (!account) throw new Error(`no sample account ${emailOrId}`);
    return account;
  };

  return {
    disconnectProfile: (profileId) => {
      if (!disconnectProfile(ctx, profileId)) throw new Error(`no profile ${profileId}`);
    },

    changeEvent(accountEmailOrId, summary) {
      const account = accountNamed(accountEmailOrId);
      const calendars = calendarsOf(account);
      const calendar = calendars.find((c) => c.calendar_primary) ?? calendars[0];
      if (!calendar) throw new Error(`${accountEmailOrId} has no calendar`);
      const now = Date.now();
      const start = new Date(Math.ceil(now / 3_600_000) * 3_600_000 + 86_400_000);
      const event: SeedEvent = {
        calendar_id: calendar.calendar_id,
        event_uid: `evt_external_${createHash('sha256').update(`${calendar.calendar_id}:${now}:${added.length}`).digest('hex').slice(0, 24)}`,
        summary,
        description: '',
        start: cronofyTime(start.getTime()),
        end: cronofyTime(start.getTime() + 1_800_000),
        created: cronofyTime(now),
        updated: cronofyTime(now),
      };
      const list = ctx.state.world.events.get(calendar.calendar_id) ?? [];
      list.push(event);
      ctx.state.world.events.set(calendar.calendar_id, list);
      added.push(event);
      ctx.channels.changed(account.account_id, calendar.calendar_id, false);
      return event.event_uid;
    },

    sendNotification(accountEmailOrId, type) {
      ctx.channels.notifyAll(accountNamed(accountEmailOrId).account_id, { type });
    },

    openChannels: (accountEmailOrId) =>
      ctx.channels.open(accountNamed(accountEmailOrId).account_id).map((c) => ({ channel_id: c.channel_id, callback_url: c.callback_url, filters: c.filters })),

    pushDeliveries: () => notifier.deliveries(),
    pushSettled: () => notifier.settled(),

    reset() {
      for (const event of added) {
        const list = ctx.state.world.events.get(event.calendar_id) ?? [];
        list.splice(list.indexOf(event), 1);
      }
      added.length = 0;
      ctx.channels.reset();
      ctx.profiles.reset();
      ctx.linkTokens.reset();
      notifier.reset();
    },
  };
}

/** The same over HTTP. Errors (an unknown account or profile) are a 404 naming it. */
export function pushControlRoutes(control: PushControl): Router {
  const router = Router();
  router.use('/__emulator', express.json());
  const str = (body: unknown, key: string): string => {
    const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
    if (typeof value !== 'string') throw Object.assign(new Error(`${key} (a string) is required`), { status: 400 });
    return value;
  };
  const wrap = (work: (body: unknown) => unknown) => (req: express.Request, res: express.Response) => {
    try {
      const answer = work(req.body);
      res.status(answer === undefined ? 204 : 200);
      if (answer === undefined) res.end();
      else res.json(answer);
    } catch (err) {
      const status = (err as { status?: number }).status ?? 404;
      res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
    }
  };
  router.post('/__emulator/disconnect-profile', wrap((body) => control.disconnectProfile(str(body, 'profile_id'))));
  router.post('/__emulator/change-event', wrap((body) => ({ event_uid: control.changeEvent(str(body, 'account'), str(body, 'summary')) })));
  router.post('/__emulator/notify', wrap((body) => control.sendNotification(str(body, 'account'), str(body, 'type'))));
  router.get('/__emulator/push-deliveries', (_req, res) => res.json(control.pushDeliveries()));
  return router;
}
