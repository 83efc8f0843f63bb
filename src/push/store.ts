// What the app keeps in Redis for push notifications, per connection:
// - the channel: its unguessable key (stored as a SHA-256 hash: the key itself is a credential),
//   the connection it belongs to, Cronofy's channel_id once known, or why it could not be opened;
// - the activity feed: the newest 20 effects of notifications (changes seen, profiles that
//   disconnected or came back, the channel verified), newest first;
// - markers that make each effect happen once however often a notification is delivered;
// - the last profile health seen, so a repeated profile_disconnected changes nothing.
// Everything expires with the connection (the session's absolute lifetime).
import { createHash } from 'node:crypto';
import type { DataCenter } from '../cronofy/data-centers';
import type { KeyValueStore } from '../store/kv';

const PREFIX = 'cronofy-connect:push:';
const FEED_SIZE = 20;
/** A live-update message for a connection is published here; every instance's SSE streams listen. */
export const liveChannel = (connectionId: string): string => `${PREFIX}live:${connectionId}`;

export interface ChannelRecord {
  connection_id: string;
  data_center: DataCenter;
  key_hash: string;
  channel_id?: string;
  callback_url?: string;
  /** Set when Cronofy refused to open the channel: what the page shows. */
  error?: string;
}

export interface FeedEntry {
  at: number;
  kind: 'change' | 'profile' | 'channel';
  text: string;
  /** For changes: when the event starts, as Cronofy sent it. */
  when?: string;
}

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('base64url');

export function createPushStore(kv: KeyValueStore, ttlMs: number) {
  const byKey = (keyHash: string) => `${PREFIX}key:${keyHash}`;
  const byConnection = (connectionId: string) => `${PREFIX}connection:${connectionId}`;
  const read = async (key: string): Promise<ChannelRecord | null> => {
    const raw = await kv.get(key);
    return raw === null ? null : (JSON.parse(raw) as ChannelRecord);
  };

  return {
    async save(record: ChannelRecord): Promise<void> {
      const json = JSON.stringify(record);
      await kv.set(byKey(record.key_hash), json, ttlMs);
      await kv.set(byConnection(record.connection_id), json, ttlMs);
    },

    forKey: (key: string): Promise<ChannelRecord | null> => read(byKey(hashKey(key))),
    forKeyHash: (keyHash: string): Promise<ChannelRecord | null> => read(byKey(keyHash)),
    forConnection: (connectionId: string): Promise<ChannelRecord | null> => read(byConnection(connectionId)),

    async remove(record: ChannelRecord): Promise<void> {
      await kv.del(byKey(record.key_hash));
      await kv.del(byConnection(record.connection_id));
    },

    /** True the first time this effect is claimed for the connection (SET NX): the caller then does it. */
    once: (connectionId: string, effect: string): Promise<boolean> =>
      kv.setIfAbsent(`${PREFIX}once:${connectionId}:${createHash('sha256').update(effect).digest('base64url')}`, '1', ttlMs),

    /**
     * Stores `health` unless it is what is stored already. When this call changed it (only one of
     * several concurrent callers can), returns what was there before (null: nothing yet).
     */
    async swapHealth(connectionId: string, health: string): Promise<{ previous: string | null } | undefined> {
      const key = `${PREFIX}health:${connectionId}`;
      const framed = `${health};`;
      const current = await kv.get(key);
      if (current === framed) return undefined;
      const won = current === null ? await kv.setIfAbsent(key, framed, ttlMs) : await kv.replaceIfPrefix(key, current, framed);
      return won ? { previous: current === null ? null : current.slice(0, -1) } : undefined;
    },

    async addToFeed(connectionId: string, entries: FeedEntry[]): Promise<void> {
      for (const entry of entries) await kv.pushBounded(`${PREFIX}feed:${connectionId}`, JSON.stringify(entry), FEED_SIZE, ttlMs);
    },

    async feed(connectionId: string): Promise<FeedEntry[]> {
      return (await kv.list(`${PREFIX}feed:${connectionId}`)).map((raw) => JSON.parse(raw) as FeedEntry);
    },

    async forget(connectionId: string): Promise<void> {
      await kv.del(`${PREFIX}feed:${connectionId}`);
      await kv.del(`${PREFIX}health:${connectionId}`);
    },
  };
}

export type PushStore = ReturnType<typeof createPushStore>;
