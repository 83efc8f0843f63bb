// What each notification type does, after the receiver has answered Cronofy. Notifications are
// hints: the work reads what changed from Cronofy, and each effect is claimed once in Redis, so a
// notification delivered twice (a retry, a replay) changes nothing the second time.
// - verification: the channel works; noted once.
// - change: Read Events with last_modified = changes_since; each event version not seen before
//   joins the feed; profile health is read again (a relinked profile syncs again).
// - profile_disconnected: profile health is read (/v1/profiles); a profile newly disconnected
//   joins the feed. The notification does not say which profile, so the API decides.
// - profile_initial_sync_completed: noted once. Anything else: logged, nothing done.
// A live-update message is published for the connection whenever the feed changed. A burst of one
// type for one connection runs once, then once more for all that came meanwhile (coalesce.ts).
import type { Logger } from 'pino';
import type { Connection } from '../connections/connection';
import type { AccessTokens } from '../connections/access-tokens';
import type { CronofyClient } from '../cronofy/client';
import type { DataCenter } from '../cronofy/data-centers';
import { ReconnectRequiredError } from '../cronofy/errors';
import type { CronofyEvent } from '../cronofy/types';
import { createCoalescer } from './coalesce';
import type { ProfileCache } from './profiles';
import type { FeedEntry, PushStore } from './store';

export interface Notification {
  type: string;
  changes_since?: string;
}

export interface NotificationDeps {
  store: PushStore;
  profiles: ProfileCache;
  accessTokens: AccessTokens;
  clientFor: (dataCenter: DataCenter) => CronofyClient;
  logger: Logger;
  now: () => number;
  /** Tells every instance's open pages of this connection to update. */
  publish: (connectionId: string) => Promise<void>;
}

const CRONOFY_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const startOf = (event: CronofyEvent): string => (typeof event.start === 'string' ? event.start : event.start.time);

/** Two pending notifications of one type as one: the earlier changes_since covers both. */
function mergeNotifications(pending: Notification, incoming: Notification): Notification {
  const a = pending.changes_since;
  const b = incoming.changes_since;
  if (a === undefined || b === undefined) return { ...pending, changes_since: a ?? b };
  return Date.parse(b) < Date.parse(a) ? incoming : pending;
}

export function createNotificationHandler(deps: NotificationDeps) {
  const { store, logger } = deps;
  const coalesce = createCoalescer<Notification>(mergeNotifications);

  const call = <T>(connectionId: string, work: (client: CronofyClient, connection: Connection) => Promise<T>): Promise<T> =>
    deps.accessTokens.withAccessToken(connectionId, (connection) => work(deps.clientFor(connection.data_center), connection)).then(({ result }) => result);

  async function changes(connectionId: string, since: string): Promise<FeedEntry[]> {
    const events = await call(connectionId, (client, c) => client.readChangedEvents({ accessToken: c.access_token }, since));
    const entries: FeedEntry[] = [];
    for (const event of events) {
      if (!(await store.once(connectionId, `event:${event.calendar_id}:${event.event_uid ?? ''}:${event.updated ?? since}:${event.deleted === true}`))) continue;
      const summary = event.summary?.slice(0, 200) || '(no title)';
      entries.push({ at: deps.now(), kind: 'change', text: event.deleted ? `Deleted: ${summary}` : `New or changed: ${summary}`, when: startOf(event) });
    }
    return entries;
  }

  async function health(connectionId: string): Promise<FeedEntry[]> {
    const profiles = await call(connectionId, (client, c) => client.listProfiles({ accessToken: c.access_token }));
    await deps.profiles.set(connectionId, profiles);
    const down = profiles.filter((p) => !p.profile_connected);
    const swapped = await store.swapHealth(connectionId, down.map((p) => p.profile_id).sort().join(','));
    if (!swapped) return [];
    const before = new Set((swapped.previous ?? '').split(',').filter(Boolean));
    const entries: FeedEntry[] = down
      .filter((p) => !before.has(p.profile_id))
      .map((p) => ({ at: deps.now(), kind: 'profile', text: `${p.profile_name} (${p.provider_name}) disconnected: Cronofy cannot sync it until it is reconnected.` }));
    for (const p of profiles) {
      if (p.profile_connected && before.has(p.profile_id)) entries.push({ at: deps.now(), kind: 'profile', text: `${p.profile_name} (${p.provider_name}) is connected again.` });
    }
    return entries;
  }

  async function effects(connectionId: string, notification: Notification): Promise<FeedEntry[]> {
    switch (notification.type) {
      case 'verification':
        return (await store.once(connectionId, 'verification')) ? [{ at: deps.now(), kind: 'channel', text: 'Cronofy verified the push channel.' }] : [];
      case 'change': {
        const since = notification.changes_since;
        if (since === undefined || !CRONOFY_TIME.test(since)) {
          logger.warn('change notification without a valid changes_since; ignored');
          return [];
        }
        return [...(await changes(connectionId, since)), ...(await health(connectionId))];
      }
      case 'profile_disconnected':
        return health(connectionId);
      case 'profile_initial_sync_completed':
        return (await store.once(connectionId, 'initial-sync')) ? [{ at: deps.now(), kind: 'channel', text: 'Cronofy finished its first sync of the calendars.' }] : [];
      default:
        logger.info({ type: notification.type.slice(0, 64) }, 'push notification of a type this app does not handle; acknowledged');
        return [];
    }
  }

  return {
    /** Never throws: the answer to Cronofy has gone already. A burst of one type for one connection is coalesced. */
    async handle(connectionId: string, notification: Notification): Promise<void> {
      try {
        await coalesce(`${connectionId}:${notification.type}`, notification, async (merged) => {
          const entries = await effects(connectionId, merged);
          if (entries.length === 0) return;
          await store.addToFeed(connectionId, entries);
          await deps.publish(connectionId);
        });
      } catch (err) {
        if (err instanceof ReconnectRequiredError) {
          logger.info('push notification for a connection that is gone; ignored');
          return;
        }
        logger.warn({ err, type: notification.type.slice(0, 64) }, 'push notification could not be processed');
      }
    },
  };
}

export type NotificationHandler = ReturnType<typeof createNotificationHandler>;
