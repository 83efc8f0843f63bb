// Pending authorization flows, one Redis key per `state`, so that two tabs can each have one.
// - state: 256 bits from the CSPRNG, base64url;
// - bound to the browser session that started it: a random binding kept in the session, renewed
//   with the session id (decision 004), so flows started before a connection can no longer complete;
// - single use: read and deleted in one GETDEL, even when the check then fails;
// - expires after 10 minutes; the key holds a hash of the state, not the state itself;
// - at most MAX_PENDING_PER_SESSION pending at once per binding (E10): starting one more ends the
//   oldest, so a browser that starts flows and never finishes them holds a handful of keys, not one
//   per click. The list of a binding's pending keys is keyed by a hash of it; a renewed binding
//   starts a new list, and the old one's keys, which can no longer complete, expire on their own.
import { createHash, randomBytes } from 'node:crypto';
import type { DataCenter } from '../cronofy/data-centers';
import type { ConnectionKind } from '../connections/connection';
import type { KeyValueStore } from '../store/kv';

export const STATE_TTL_MS = 10 * 60 * 1000;
export const MAX_PENDING_PER_SESSION = 5;
const PREFIX = 'cronofy-connect:state:';
const PENDING_PREFIX = 'cronofy-connect:pending-states:';

export interface PendingFlow {
  kind: ConnectionKind;
  data_center: DataCenter;
  redirect_uri: string;
  session_binding: string;
  created_at: number;
  /** Started to add a calendar account to a connected one (with a link token): a decline leads back to the calendars. */
  adding_account?: boolean;
}

export function newState(): string {
  return randomBytes(32).toString('base64url');
}

const hash = (value: string) => createHash('sha256').update(value).digest('base64url');
const keyFor = (state: string) => PREFIX + hash(state);

export function createStateStore(kv: KeyValueStore, now: () => number = Date.now) {
  return {
    async put(state: string, flow: PendingFlow): Promise<void> {
      const key = keyFor(state);
      await kv.set(key, JSON.stringify(flow), STATE_TTL_MS);
      const ended = await kv.pushBounded(PENDING_PREFIX + hash(flow.session_binding), key, MAX_PENDING_PER_SESSION, STATE_TTL_MS);
      await Promise.all(ended.map((old) => kv.del(old)));
    },

    /** The flow this state started, once; null when unknown, used, expired or not this session's. */
    async take(state: string, sessionBinding: string): Promise<PendingFlow | null> {
      const raw = await kv.take(keyFor(state));
      if (raw === null) return null;
      const flow = JSON.parse(raw) as PendingFlow;
      if (!sessionBinding || flow.session_binding !== sessionBinding) return null;
      if (now() - flow.created_at > STATE_TTL_MS) return null;
      return flow;
    },
  };
}

export type StateStore = ReturnType<typeof createStateStore>;
