// Pending authorization flows, one Redis key per `state`, so that two tabs can each have one.
// - state: 256 bits from the CSPRNG, base64url;
// - bound to the browser session that started it: a random binding kept in the session (and
//   carried across session-id regeneration, so a second tab finishing first breaks nothing);
// - single use: read and deleted in one GETDEL, even when the check then fails;
// - expires after 10 minutes; the key holds a hash of the state, not the state itself.
import { createHash, randomBytes } from 'node:crypto';
import type { DataCenter } from '../cronofy/data-centers';
import type { ConnectionKind } from '../connections/connection';
import type { KeyValueStore } from '../store/kv';

export const STATE_TTL_MS = 10 * 60 * 1000;
const PREFIX = 'cronofy-connect:state:';

export interface PendingFlow {
  kind: ConnectionKind;
  data_center: DataCenter;
  redirect_uri: string;
  session_binding: string;
  created_at: number;
}

export function newState(): string {
  return randomBytes(32).toString('base64url');
}

const keyFor = (state: string) => PREFIX + createHash('sha256').update(state).digest('base64url');

export function createStateStore(kv: KeyValueStore, now: () => number = Date.now) {
  return {
    async put(state: string, flow: PendingFlow): Promise<void> {
      await kv.set(keyFor(state), JSON.stringify(flow), STATE_TTL_MS);
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
