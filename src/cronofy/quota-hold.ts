// Cronofy's rate limit is per application, so a 429 concerns every instance of the app:
// - a 429 holds all calls to that data center until its Retry-After has passed (capped at
//   MAX_HOLD_SECONDS), shared through one Redis key per data center (and application: the key
//   carries a hash of the API host and client id) holding the deadline;
// - before each call the client asks how long the hold still runs; a short one is waited out,
//   a long one becomes a 429 page at once, with no call to Cronofy;
// - the store failing never fails a page: the hold is then simply not known.
import { createHash } from 'node:crypto';
import type { KeyValueStore } from '../store/kv';
import type { DataCenter } from './data-centers';

export const MAX_HOLD_SECONDS = 60;
const PREFIX = 'cronofy-connect:quota-hold:';

export interface QuotaHold {
  /** Milliseconds the hold on this data center still runs; 0 when calls may go ahead. */
  remainingMs(): Promise<number>;
  /** Holds calls for `seconds` (capped), unless a longer hold is already in place. */
  hold(seconds: number): Promise<void>;
}

export function quotaHoldKey(dataCenter: DataCenter, apiUrl: string, clientId: string): string {
  return `${PREFIX}${dataCenter}:${createHash('sha256').update(`${apiUrl} ${clientId}`).digest('hex').slice(0, 16)}`;
}

export function createQuotaHold(kv: KeyValueStore, key: string, now: () => number): QuotaHold {
  const remainingMs = async (): Promise<number> => {
    try {
      const until = Number(await kv.get(key));
      return Number.isFinite(until) ? Math.max(0, until - now()) : 0;
    } catch {
      return 0;
    }
  };
  return {
    remainingMs,
    async hold(seconds) {
      const ms = Math.min(Math.max(seconds, 0), MAX_HOLD_SECONDS) * 1000;
      if (ms === 0 || (await remainingMs()) >= ms) return;
      await kv.set(key, String(now() + ms), ms).catch(() => undefined);
    },
  };
}
