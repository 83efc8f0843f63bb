// A short cache of a connection's read-only answers from Cronofy (calendars, identity, members),
// so reloading a page does not spend the application's shared rate limit.
// - Keyed by connection id and a name; kept `ttlMs` (CRONOFY_CACHE_SECONDS) in the store, so every
//   instance shares it. Pages show the answer's age. A ttl of 0 turns the cache off.
// - `invalidate(connection)` is called by everything the app changes (permissions, disconnect,
//   logout): it records the moment, and any answer fetched before it is ignored from then on,
//   including one still in flight at that moment.
// - Entries hold personal data (members' names and emails, calendar names): sealed like token
//   records when TOKEN_ENCRYPTION_KEY is set (store/seal.ts); one that cannot be opened (the key
//   changed) is a miss.
import type { KeyValueStore } from '../store/kv';
import { open, seal } from '../store/seal';

const PREFIX = 'cronofy-connect:cache:';
const SINCE = 'cronofy-connect:cache-since:';

export interface Cached<T> {
  value: T;
  /** Epoch ms the answer was asked for. */
  fetchedAt: number;
}

/** What the page's "fetched N seconds ago" line needs. */
export function ageOf(cached: Cached<unknown>, now: number): { at: number; ageSeconds: number } {
  return { at: cached.fetchedAt, ageSeconds: Math.max(0, Math.floor((now - cached.fetchedAt) / 1000)) };
}

export function createReadCache(kv: KeyValueStore, ttlMs: number, now: () => number, encryptionKey?: Buffer) {
  const opened = <T>(raw: string): { at: number; value: T } | null => {
    try {
      return JSON.parse(open(raw, encryptionKey)) as { at: number; value: T };
    } catch {
      return null;
    }
  };

  return {
    async read<T>(connectionId: string, name: string, fetch: () => Promise<T>): Promise<Cached<T>> {
      if (ttlMs <= 0) return { value: await fetch(), fetchedAt: now() };
      const key = `${PREFIX}${connectionId}:${name}`;
      const [raw, since] = await Promise.all([kv.get(key), kv.get(SINCE + connectionId)]);
      const entry = raw === null ? null : opened<T>(raw);
      if (entry && entry.at > Number(since ?? 0) && now() - entry.at < ttlMs) return { value: entry.value, fetchedAt: entry.at };
      const at = now();
      const value = await fetch();
      await kv.set(key, seal(JSON.stringify({ at, value }), encryptionKey), ttlMs);
      return { value, fetchedAt: at };
    },

    async invalidate(connectionId: string): Promise<void> {
      if (ttlMs <= 0) return;
      await kv.set(SINCE + connectionId, String(now()), ttlMs);
    },
  };
}

export type ReadCache = ReturnType<typeof createReadCache>;
