// The pending Extended Permissions request of a session. Cronofy's documented return to the
// redirect_uri carries no state, so the return is bound to the session instead: one pending request
// per session, single use (GETDEL), expiring after 10 minutes.
import type { KeyValueStore } from '../store/kv';

const PERMISSIONS_TTL_MS = 10 * 60 * 1000;
const PREFIX = 'cronofy-connect:permissions:';

export interface PendingPermissionsRequest {
  connection_id: string;
  calendar_ids: string[];
  created_at: number;
}

export function createPendingPermissions(kv: KeyValueStore, now: () => number = Date.now) {
  return {
    async put(sessionId: string, pending: PendingPermissionsRequest): Promise<void> {
      await kv.set(PREFIX + sessionId, JSON.stringify(pending), PERMISSIONS_TTL_MS);
    },
    /** Reads without using it up: a return that proves nothing must not discard the request. */
    async peek(sessionId: string): Promise<PendingPermissionsRequest | null> {
      const raw = await kv.get(PREFIX + sessionId);
      if (raw === null) return null;
      const pending = JSON.parse(raw) as PendingPermissionsRequest;
      return now() - pending.created_at > PERMISSIONS_TTL_MS ? null : pending;
    },
    async take(sessionId: string): Promise<PendingPermissionsRequest | null> {
      const raw = await kv.take(PREFIX + sessionId);
      if (raw === null) return null;
      const pending = JSON.parse(raw) as PendingPermissionsRequest;
      return now() - pending.created_at > PERMISSIONS_TTL_MS ? null : pending;
    },
  };
}

export type PendingPermissions = ReturnType<typeof createPendingPermissions>;
