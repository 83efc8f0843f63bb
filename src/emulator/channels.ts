// Push notification channels (https://docs.cronofy.com/developers/api/push-notifications/create-channel/):
// - POST /v1/channels {callback_url, filters?}: 200 {"channel": {channel_id, callback_url, filters}},
//   filters echoed as given ({} when none); a `verification` notification follows at once.
// - GET /v1/channels: the account's open channels. DELETE /v1/channels/{id}: 202, no body; 404 for a
//   channel the account does not have (as Cronofy's Ruby SDK documents).
// - 128 channels per account; one more is a 422 (the status Cronofy uses is unconfirmed).
// - Needs read_events unless filters.only_managed is true (our reading of the authorization docs).
// - A channel dies with the authorization that created it (unconfirmed; the natural reading).
// - `change` goes to every open channel of the account whose filters match the calendar (and,
//   with only_managed, only for events made through the API); other types go to all of them.
import { randomBytes } from 'node:crypto';
import { accountWith, actorOf } from './bearer';
import { bodyOf, one, type Errors, type Handler } from './context';
import { invalid, notFound } from './errors';
import type { Notifier } from './notify';
import type { Grant } from './state';

export const MAX_CHANNELS_PER_ACCOUNT = 128;

export interface Channel {
  channel_id: string;
  callback_url: string;
  filters: Record<string, unknown>;
  account_id: string;
  grant: Grant;
}

/** Cronofy's timestamps: UTC, second precision, Z. */
export const cronofyTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export function createChannels(notifier: Notifier, now: () => number = Date.now) {
  const byAccount = new Map<string, Channel[]>();

  const open = (accountId: string): Channel[] => {
    const live = (byAccount.get(accountId) ?? []).filter((c) => !c.grant.revoked);
    byAccount.set(accountId, live);
    return live;
  };

  return {
    open,

    create(accountId: string, grant: Grant, callbackUrl: string, filters: Record<string, unknown>): Channel | undefined {
      const channels = open(accountId);
      if (channels.length >= MAX_CHANNELS_PER_ACCOUNT) return undefined;
      const channel: Channel = { channel_id: `chn_${randomBytes(12).toString('hex')}`, callback_url: callbackUrl, filters, account_id: accountId, grant };
      channels.push(channel);
      return channel;
    },

    close(accountId: string, channelId: string): boolean {
      const channels = open(accountId);
      const at = channels.findIndex((c) => c.channel_id === channelId);
      if (at === -1) return false;
      channels.splice(at, 1);
      return true;
    },

    verify(channel: Channel): void {
      notifier.send(channel, { type: 'verification' });
    },

    /** Events changed in this calendar (managed: through the API). */
    changed(accountId: string, calendarId: string, managed: boolean): void {
      const changes_since = cronofyTime(now());
      for (const channel of open(accountId)) {
        const ids = channel.filters.calendar_ids;
        if (Array.isArray(ids) && !ids.includes(calendarId)) continue;
        if (channel.filters.only_managed === true && !managed) continue;
        notifier.send(channel, { type: 'change', changes_since });
      }
    },

    /** One notification to every open channel of the account (profile_disconnected, …). */
    notifyAll(accountId: string, notification: { type: string } & Record<string, unknown>): void {
      for (const channel of open(accountId)) notifier.send(channel, notification);
    },
  };
}

export type Channels = ReturnType<typeof createChannels>;

function checkCreate(body: Record<string, unknown>): { errors: Errors } | { callbackUrl: string; filters: Record<string, unknown> } {
  const errors: Errors = {};
  const callbackUrl = one(body.callback_url);
  if (callbackUrl === undefined || callbackUrl === '') errors.callback_url = [{ key: 'errors.required', description: 'required' }];
  else if (!URL.canParse(callbackUrl) || !/^https?:$/.test(new URL(callbackUrl).protocol)) {
    errors.callback_url = [{ key: 'errors.invalid', description: 'must be an HTTP or HTTPS URL' }];
  }
  const filters = body.filters ?? {};
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) {
    errors.filters = [{ key: 'errors.invalid', description: 'must be an object' }];
    return { errors };
  }
  const { calendar_ids: ids, only_managed: onlyManaged } = filters as Record<string, unknown>;
  if (ids !== undefined && (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string'))) {
    errors['filters.calendar_ids'] = [{ key: 'errors.invalid', description: 'when given, at least one calendar_id' }];
  }
  if (onlyManaged !== undefined && typeof onlyManaged !== 'boolean') errors['filters.only_managed'] = [{ key: 'errors.invalid', description: 'must be true or false' }];
  if (Object.keys(errors).length > 0) return { errors };
  return { callbackUrl: callbackUrl as string, filters: filters as Record<string, unknown> };
}

export const createChannel: Handler = (ctx, req, res) => {
  const body = bodyOf(req);
  const onlyManaged = typeof body.filters === 'object' && body.filters !== null && (body.filters as Record<string, unknown>).only_managed === true;
  const account = accountWith(res, onlyManaged ? null : 'read_events');
  const checked = checkCreate(body);
  if ('errors' in checked) throw invalid(checked.errors);
  const channel = ctx.channels.create(account.account_id, actorOf(res).grant, checked.callbackUrl, checked.filters);
  if (!channel) throw invalid({ base: [{ key: 'errors.too_many_channels', description: `an account has at most ${MAX_CHANNELS_PER_ACCOUNT} channels` }] });
  res.on('finish', () => ctx.channels.verify(channel));
  res.json({ channel: { channel_id: channel.channel_id, callback_url: channel.callback_url, filters: channel.filters } });
};

export const listChannels: Handler = (ctx, _req, res) => {
  const account = accountWith(res, null);
  res.json({ channels: ctx.channels.open(account.account_id).map((c) => ({ channel_id: c.channel_id, callback_url: c.callback_url, filters: c.filters })) });
};

export const closeChannel: Handler = (ctx, req, res) => {
  const account = accountWith(res, null);
  if (!ctx.channels.close(account.account_id, one(req.params.channel_id) ?? '')) throw notFound();
  res.status(202).end();
};
