// The calendar profiles of a connection (GET /v1/profiles), kept in Redis for a minute so that
// every page load does not cost a second Cronofy call. Push keeps it current: whenever a
// notification makes the app read /v1/profiles (profile_disconnected, change), the answer is stored
// here, so a profile that disconnects or comes back shows at once, not after the minute.
import type { Profile } from '../cronofy/types';
import type { KeyValueStore } from '../store/kv';

const PREFIX = 'cronofy-connect:push:profiles:';
export const PROFILES_TTL_MS = 60_000;

export function createProfileCache(kv: KeyValueStore) {
  return {
    async get(connectionId: string): Promise<Profile[] | null> {
      const raw = await kv.get(PREFIX + connectionId);
      return raw === null ? null : (JSON.parse(raw) as Profile[]);
    },
    async set(connectionId: string, profiles: Profile[]): Promise<void> {
      await kv.set(PREFIX + connectionId, JSON.stringify(profiles), PROFILES_TTL_MS);
    },
    /** A new grant for the connection (signed in again, or a calendar account linked in): read afresh. */
    async forget(connectionId: string): Promise<void> {
      await kv.del(PREFIX + connectionId);
    },
  };
}

export type ProfileCache = ReturnType<typeof createProfileCache>;
