// The sandbox demo's playground (option `playground`, on in the app's sandbox mode, never by
// default): a page where a person plays "something happened at Cronofy" (an event added to a
// calendar, a calendar profile that lost its credentials), to watch the app's push notifications
// and profile health at work. The same actions as the test control, as plain forms.
import { applicationOrigin, bodyOf, one, type EmulatorContext, type EmulatorResponse, type Handler } from './context';
import { disconnectProfile } from './profiles';
import { changeEvent } from './push-control';

function render(ctx: EmulatorContext, res: EmulatorResponse, message?: string): void {
  res.render('playground', {
    message,
    back: applicationOrigin(ctx),
    accounts: ctx.state.world.accounts.map((a) => ({
      email: a.email,
      label: a.label,
      channels: ctx.channels.open(a.account_id).length,
      profiles: a.profiles.map((p) => ({ ...p, connected: ctx.profiles.connected(p) })),
    })),
  });
}

export const showPlayground: Handler = (ctx, _req, res) => render(ctx, res);

export const playChangeEvent: Handler = (ctx, req, res) => {
  const body = bodyOf(req);
  const account = one(body.account) ?? '';
  const summary = (one(body.summary) ?? '').trim().slice(0, 200) || 'A new event';
  try {
    changeEvent(ctx, account, summary);
  } catch {
    return render(ctx, res.status(404), 'No such sample account.');
  }
  render(ctx, res, `Added "${summary}" to ${account}'s primary calendar; its channels were notified.`);
};

export const playDisconnectProfile: Handler = (ctx, req, res) => {
  if (!disconnectProfile(ctx, one(bodyOf(req).profile_id) ?? '')) return render(ctx, res.status(404), 'No such profile.');
  render(ctx, res, "The profile is disconnected; its accounts' channels got profile_disconnected.");
};
