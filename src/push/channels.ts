// Opening and closing a connection's push notification channel:
// - on connect: a fresh unguessable key (256 bits); its record is stored *before* the channel is
//   created, because Cronofy sends a `verification` notification at once; callback_url is
//   `${PUSH_BASE_URL}/push/<key>`; no filters (every calendar of the account);
// - channels under our callback base that no live record claims (their connection expired, the app
//   lost Redis, …) are closed first, so reconnecting never piles channels up (128 per account max);
// - on disconnect or replacement: DELETE /v1/channels/{id} with that connection's token, then the
//   records go; a failure is logged and changes nothing else (the grant's revocation ends it too).
// - a channel Cronofy refuses to open leaves the reason in the record, for the page to show.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Connection } from '../connections/connection';
import type { CronofyClient } from '../cronofy/client';
import type { DataCenter } from '../cronofy/data-centers';
import { CronofyError } from '../cronofy/errors';
import { hashKey, type PushStore } from './store';

export interface ChannelDeps {
  store: PushStore;
  clientFor: (dataCenter: DataCenter) => CronofyClient;
  /** Base of callback URLs; undefined: push is off. */
  baseUrl: string | undefined;
  logger: Logger;
  /** Whether the app still holds this connection's tokens. */
  connectionExists: (connectionId: string) => Promise<boolean>;
}

export const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function createChannelLifecycle(deps: ChannelDeps) {
  const { store, clientFor, baseUrl, logger, connectionExists } = deps;
  const prefix = `${baseUrl ?? ''}/push/`;

  /** Closes channels under our base that no held connection claims (unknown key, or its connection is gone). */
  async function closeOrphans(client: CronofyClient, accessToken: string): Promise<void> {
    for (const channel of await client.listChannels({ accessToken })) {
      if (!channel.callback_url.startsWith(prefix)) continue; // another application's or another deployment's
      const key = channel.callback_url.slice(prefix.length);
      const record = KEY_PATTERN.test(key) ? await store.forKeyHash(hashKey(key)) : null;
      if (record && (await connectionExists(record.connection_id))) continue;
      if (record) await store.remove(record);
      await client.closeChannel({ accessToken }, channel.channel_id);
      logger.info({ channel_id: channel.channel_id }, 'closed a push channel no connection holds');
    }
  }

  return {
    async open(connection: Connection): Promise<void> {
      if (!baseUrl || connection.kind !== 'individual') return;
      const key = randomBytes(32).toString('base64url');
      const callback_url = prefix + key;
      const record = { connection_id: connection.id, data_center: connection.data_center, key_hash: hashKey(key) };
      await store.save(record);
      const client = clientFor(connection.data_center);
      try {
        await closeOrphans(client, connection.access_token);
        const channel = await client.createChannel({ accessToken: connection.access_token }, { callback_url });
        await store.save({ ...record, channel_id: channel.channel_id, callback_url });
      } catch (err) {
        logger.warn({ err }, 'could not open a push channel');
        const reason =
          err instanceof CronofyError && err.code === 'forbidden'
            ? 'Cronofy refused to open a push channel: the connection lacks the read_events scope.'
            : err instanceof CronofyError && err.code === 'invalid_request'
              ? 'Cronofy refused to open a push channel (the account may already have 128 channels).'
              : 'Cronofy could not be asked to open a push channel; reconnect to try again.';
        await store.save({ ...record, error: reason });
      }
    },

    /** Closes the connection's channel with its access token (which may be expired: then Cronofy's revocation ends it). */
    async close(connection: Pick<Connection, 'id' | 'data_center' | 'access_token'>): Promise<void> {
      const record = await store.forConnection(connection.id);
      if (!record) return;
      await store.remove(record);
      await store.forget(connection.id);
      if (!record.channel_id) return;
      try {
        await clientFor(connection.data_center).closeChannel({ accessToken: connection.access_token }, record.channel_id);
      } catch (err) {
        if (!(err instanceof CronofyError && err.code === 'not_found')) logger.warn({ err }, 'could not close a push channel');
      }
    },
  };
}

export type ChannelLifecycle = ReturnType<typeof createChannelLifecycle>;
