// Push notifications, assembled: the channel lifecycle (channels.ts), the receiver (receive.ts),
// the work per notification type (notifications.ts), live page updates (live.ts), and what the
// calendars page shows (panel). createApp builds one per app instance.
import type { Express, Router } from 'express';
import type { Logger } from 'pino';
import { callbackSecrets, type Config } from '../config';
import type { AccessTokens } from '../connections/access-tokens';
import type { CronofyClient } from '../cronofy/client';
import type { DataCenter } from '../cronofy/data-centers';
import type { KeyValueStore } from '../store/kv';
import { createChannelLifecycle, type ChannelLifecycle } from './channels';
import { createLiveUpdates } from './live';
import { createNotificationHandler } from './notifications';
import { pushReceiver } from './receive';
import { createProfileCache, type ProfileCache } from './profiles';
import { createPushStore, type FeedEntry, liveChannel } from './store';

export interface PushDeps {
  config: Config;
  kv: KeyValueStore;
  logger: Logger;
  clientFor: (dataCenter: DataCenter) => CronofyClient;
  accessTokens: AccessTokens;
  now: () => number;
  /** How long records live: the connection's lifetime. */
  ttlMs: number;
  connectionExists: (connectionId: string) => Promise<boolean>;
}

export interface PushPanel {
  on: boolean;
  /** Why push is off (configuration) or why this connection has no channel. */
  problem?: string;
  channelId?: string;
  feed: FeedEntry[];
}

export interface Push {
  channels: ChannelLifecycle;
  /** The connection's calendar profiles as last read (a minute at most), kept current by notifications. */
  profiles: ProfileCache;
  /** POST /push/{key}; mount before sessions, CSRF and rate limits. */
  receiver: Router;
  /** GET /calendars/live; mount after sessions. */
  live: Router;
  panel(connectionId: string): Promise<PushPanel>;
  /** Resolves once all notification work started so far is done. */
  settled(): Promise<void>;
  /** Ends open live-update streams (shutdown). */
  closeStreams(): void;
}

export function createPush(deps: PushDeps): Push {
  const { config, kv, logger } = deps;
  const store = createPushStore(kv, deps.ttlMs);
  const inFlight = new Set<Promise<void>>();
  const profiles = createProfileCache(kv);
  const handler = createNotificationHandler({
    store,
    profiles,
    accessTokens: deps.accessTokens,
    clientFor: deps.clientFor,
    logger,
    now: deps.now,
    publish: (connectionId) => kv.publish(liveChannel(connectionId), 'update'),
  });
  const live = createLiveUpdates(kv);
  return {
    profiles,
    channels: createChannelLifecycle({ store, clientFor: deps.clientFor, baseUrl: config.push.baseUrl, logger, connectionExists: deps.connectionExists }),
    receiver: pushReceiver({
      store,
      secrets: callbackSecrets(config.cronofy),
      handler,
      logger,
      track: (work) => {
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      },
    }),
    live: live.router,
    async panel(connectionId) {
      if (!config.push.baseUrl) return { on: false, problem: config.push.offReason, feed: [] };
      const record = await store.forConnection(connectionId);
      const feed = await store.feed(connectionId);
      if (!record) return { on: false, problem: 'This connection has no push channel (it was made before push was turned on): reconnect to open one.', feed };
      if (record.error) return { on: false, problem: record.error, feed };
      return { on: true, channelId: record.channel_id, feed };
    },
    async settled() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    closeStreams: live.closeAll,
  };
}

/** The app's push runtime (tests wait on settled(); server.ts ends streams on shutdown). */
export const pushOf = (app: Express): Push => (app.locals as { push: Push }).push;
