// The test control for push notifications and profile health: what a test (or the playground)
// does to make Cronofy send something (an event changed in the calendar, a profile that lost its
// credentials, any notification type), and what it reads back (deliveries, open channels).
import { createHash } from 'node:crypto';
import { cronofyTime } from './channels';
import type { EmulatorContext } from './context';
import { disconnectProfile } from './profiles';
import { calendarsOf, type SeedAccount, type SeedEvent } from './seed';
import type { PushControl } from './types';

/** A sample account (or organization member) by email or account id; throws naming it when there is none. */
function accountNamed(ctx: EmulatorContext, emailOrId: string): SeedAccount {
  const all = [...ctx.state.world.accounts, ...ctx.state.world.organization.members.map((m) => m.account)];
  const account = all.find((a) => a.email === emailOrId || a.account_id === emailOrId);
  if (!account) throw new Error(`no sample account ${emailOrId}`);
  return account;
}

/** Someone adds an event to the account's primary calendar, outside the API; its channels get `change`. */
export function changeEvent(ctx: EmulatorContext, accountEmailOrId: string, summary: string): string {
  const account = accountNamed(ctx, accountEmailOrId);
  const calendars = calendarsOf(account);
  const calendar = calendars.find((c) => c.calendar_primary) ?? calendars[0];
  if (!calendar) throw new Error(`${accountEmailOrId} has no calendar`);
  const { events } = ctx.state.world;
  const list = events.get(calendar.calendar_id) ?? [];
  const now = Date.now();
  const start = new Date(Math.ceil(now / 3_600_000) * 3_600_000 + 86_400_000);
  const event: SeedEvent = {
    calendar_id: calendar.calendar_id,
    event_uid: `evt_external_${createHash('sha256').update(`${calendar.calendar_id}:${now}:${list.length}`).digest('hex').slice(0, 24)}`,
    summary,
    description: '',
    start: cronofyTime(start.getTime()),
    end: cronofyTime(start.getTime() + 1_800_000),
    created: cronofyTime(now),
    updated: cronofyTime(now),
  };
  // The sample world changes (reset restores it).
  events.set(calendar.calendar_id, [...list, event]);
  ctx.channels.changed(account.account_id, calendar.calendar_id, false);
  return event.event_uid;
}

export function createPushControl(ctx: EmulatorContext): PushControl {
  return {
    disconnectProfile: (profileId) => {
      if (!disconnectProfile(ctx, profileId)) throw new Error(`no profile ${profileId}`);
    },

    changeEvent: (accountEmailOrId, summary) => changeEvent(ctx, accountEmailOrId, summary),

    sendNotification(accountEmailOrId, type) {
      ctx.channels.notifyAll(accountNamed(ctx, accountEmailOrId).account_id, { type });
    },

    openChannels: (accountEmailOrId) =>
      ctx.channels.open(accountNamed(ctx, accountEmailOrId).account_id).map((c) => ({ channel_id: c.channel_id, callback_url: c.callback_url, filters: c.filters })),

    pushDeliveries: () => ctx.notifier.deliveries(),
    pushSettled: () => ctx.notifier.settled(),
  };
}
