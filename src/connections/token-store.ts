// Tokens live under their own key, never in the session blob: express-session writes the whole
// session back at the end of every request, so a request that started before a refresh would put
// the old tokens back (expressjs/session#606). Here every write is either a create or a replace
// that checks the version it read, so a stale writer changes nothing.
//
// Stored value: "<version>.<payload>", payload being the JSON record, or "enc:" + AES-256-GCM of it
// when TOKEN_ENCRYPTION_KEY is set.
//
// Retention (decision 010): a sorted set per application says when each record lapses; lapsed()
// hands lapsed records over for revocation, so a record never just disappears with its grant still
// live at Cronofy. The key's own expiry (a day after retention) only cleans up after a worker that
// never ran.
// - A record of a sign-in lapses CONNECTION_RETENTION_MS after its latest sign-in (a sign-in
//   meanwhile moves it on: lapsed() reschedules instead).
// - A record only one browser session can reach (it has `lapses_at`: Enterprise Connect, a token
//   answer without `sub`) lapses when its schedule says: the session moves it on while in use
//   (holdUntil; session/hold.ts), never past `lapses_at`, the session's absolute end.
//
// Durability (decision 011): a record holds a refresh token, which nothing can recreate once it has
// rotated, so it is written through kv.replicated (acknowledged by a replica where there is one).
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { StorageError } from '../store/errors';
import type { KeyValueStore } from '../store/kv';
import { open, seal } from '../store/seal';
import type { Connection } from './connection';

export interface StoredConnection {
  connection: Connection;
  version: string;
}

export interface TokenStoreOptions {
  kv: KeyValueStore;
  /** Names this application's retention schedule (identity.ts applicationKey). */
  namespace: string;
  encryptionKey?: Buffer;
  now?: () => number;
  retentionMs?: number;
}

const PREFIX = 'cronofy-connect:connection:';
export const CONNECTION_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
const SAFETY_MARGIN_MS = 24 * 60 * 60 * 1000;

export function createTokenStore({ kv, namespace, encryptionKey, now = Date.now, retentionMs = CONNECTION_RETENTION_MS }: TokenStoreOptions) {
  const ttlMs = retentionMs + SAFETY_MARGIN_MS;
  const schedule = `cronofy-connect:connection-lapse:${namespace}`;
  const retentionEnd = (connection: Connection) => (connection.signed_in_at ?? connection.connected_at) + retentionMs;
  /** When a record lapses if nothing moves it: a session-bound one at `heldUntil` (default: its session's end). */
  const lapsesAt = (connection: Connection, heldUntil?: number) =>
    connection.lapses_at === undefined ? retentionEnd(connection) : Math.min(connection.lapses_at, heldUntil ?? connection.lapses_at);
  const sealed = (connection: Connection): string => seal(JSON.stringify(connection), encryptionKey);
  const opened = (payload: string): Connection => JSON.parse(open(payload, encryptionKey)) as Connection;

  const newVersion = () => randomBytes(8).toString('hex');

  /** A record that cannot be read (TOKEN_ENCRYPTION_KEY changed or removed) counts as gone: connect again. */
  const parse = (value: string | null): StoredConnection | null => {
    if (value === null) return null;
    const dot = value.indexOf('.');
    try {
      return { version: value.slice(0, dot), connection: opened(value.slice(dot + 1)) };
    } catch {
      return null;
    }
  };

  return {
    key: (id: string) => PREFIX + id,

    /** The sorted set of lapse times (tests read it). */
    lapseSchedule: schedule,

    /**
     * Writes the record of a sign-in (replacing any record of the same account); returns the one
     * replaced. A session-bound record lapses at `heldUntil` unless moved on (never after its `lapses_at`).
     */
    async put(connection: Connection, heldUntil?: number): Promise<StoredConnection | null> {
      const previous = parse(await kv.replicated.swap(PREFIX + connection.id, `${newVersion()}.${sealed(connection)}`, ttlMs));
      await kv.schedule(schedule, connection.id, lapsesAt(connection, heldUntil));
      return previous;
    },

    /** Writes a new record (its id is fresh). */
    async create(connection: Connection, heldUntil?: number): Promise<void> {
      await this.put(connection, heldUntil);
    },

    /**
     * Moves a session-bound record's lapse to `heldUntil`, never past its `lapses_at`; returns the
     * time written. A record of a sign-in is never touched (its retention is its own).
     */
    async holdUntil(connection: Connection, heldUntil: number): Promise<number | undefined> {
      if (connection.lapses_at === undefined) return undefined;
      const at = lapsesAt(connection, heldUntil);
      await kv.schedule(schedule, connection.id, at);
      return at;
    },

    /**
     * Records whose time is up, each deleted here: revoke their grants. A record of a sign-in that
     * was signed in again is rescheduled instead; one written while this ran (a refresh, a sign-in)
     * stays due and is looked at again next time.
     */
    async lapsed(limit: number): Promise<Connection[]> {
      const gone: Connection[] = [];
      for (const id of await kv.due(schedule, now(), limit)) {
        const stored = parse(await kv.get(PREFIX + id));
        if (!stored) {
          await kv.unschedule(schedule, id); // deleted (disconnect, logout) or unreadable
          continue;
        }
        const { connection, version } = stored;
        if (connection.lapses_at === undefined && retentionEnd(connection) > now()) {
          await kv.schedule(schedule, id, retentionEnd(connection));
          continue;
        }
        if (await kv.delIfPrefix(PREFIX + id, `${version}.`)) {
          await kv.unschedule(schedule, id);
          gone.push(connection);
        }
      }
      return gone;
    },

    async get(id: string): Promise<StoredConnection | null> {
      return parse(await kv.get(PREFIX + id));
    },

    /** Read and delete in one step: a refresh landing afterwards finds nothing to replace. */
    async take(id: string): Promise<StoredConnection | null> {
      return parse(await kv.take(PREFIX + id));
    },

    /** Delete only if nobody wrote since `version` was read. */
    async removeIfVersion(id: string, expectedVersion: string): Promise<boolean> {
      return kv.delIfPrefix(PREFIX + id, `${expectedVersion}.`);
    },

    /**
     * Replace only if nobody wrote since `version` was read; false when it changed or is gone.
     * With `retryForMs`, a store that fails (a failover under way) is tried again for that long:
     * the value is sealed once, so a write that landed before its answer was lost counts as done.
     */
    async replace(expectedVersion: string, connection: Connection, retryForMs = 0): Promise<boolean> {
      const key = PREFIX + connection.id;
      const value = `${newVersion()}.${sealed(connection)}`;
      const giveUpAt = performance.now() + retryForMs;
      for (let attempt = 0; ; attempt++) {
        try {
          if (attempt > 0 && (await kv.get(key)) === value) return true;
          return await kv.replicated.replaceIfPrefix(key, `${expectedVersion}.`, value);
        } catch (err) {
          const pause = Math.min(100 * 2 ** attempt, 1000);
          if (!(err instanceof StorageError) || performance.now() + pause > giveUpAt) throw err;
          await delay(pause);
        }
      }
    },

    async remove(id: string): Promise<void> {
      await kv.del(PREFIX + id);
    },
  };
}

export type TokenStore = ReturnType<typeof createTokenStore>;
