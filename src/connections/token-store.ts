// Tokens live under their own key, never in the session blob: express-session writes the whole
// session back at the end of every request, so a request that started before a refresh would put
// the old tokens back (expressjs/session#606). Here every write is either a create or a replace
// that checks the version it read, so a stale writer changes nothing.
//
// Stored value: "<version>.<payload>", payload being the JSON record, or "enc:" + AES-256-GCM of it
// when TOKEN_ENCRYPTION_KEY is set.
//
// Retention (decision 010): a record is kept CONNECTION_RETENTION_MS after its latest sign-in, or
// until its `lapses_at` when it belongs to one browser session (Enterprise Connect). A
// sorted set per application says when each record lapses; lapsed() hands lapsed records over for
// revocation, so a record never just disappears with its grant still live at Cronofy. The key's own
// expiry (a day later) only cleans up after a worker that never ran.
//
// Durability (decision 011): a record holds a refresh token, which nothing can recreate once it has
// rotated, so it is written through kv.replicated (acknowledged by a replica where there is one).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { StorageError } from '../store/errors';
import type { KeyValueStore } from '../store/kv';
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
  const lapsesAt = (connection: Connection) => connection.lapses_at ?? (connection.signed_in_at ?? connection.connected_at) + retentionMs;
  const seal = (connection: Connection): string => {
    const json = JSON.stringify(connection);
    if (!encryptionKey) return json;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
    const body = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
    return `enc:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  };

  const open = (payload: string): Connection => {
    if (!payload.startsWith('enc:')) return JSON.parse(payload) as Connection;
    if (!encryptionKey) throw new Error('Stored tokens are encrypted but TOKEN_ENCRYPTION_KEY is not set');
    const raw = Buffer.from(payload.slice(4), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as Connection;
  };

  const newVersion = () => randomBytes(8).toString('hex');

  /** A record that cannot be read (TOKEN_ENCRYPTION_KEY changed or removed) counts as gone: connect again. */
  const parse = (value: string | null): StoredConnection | null => {
    if (value === null) return null;
    const dot = value.indexOf('.');
    try {
      return { version: value.slice(0, dot), connection: open(value.slice(dot + 1)) };
    } catch {
      return null;
    }
  };

  return {
    key: (id: string) => PREFIX + id,

    /** Writes the record of a sign-in (replacing any record of the same account); returns the one replaced. */
    async put(connection: Connection): Promise<StoredConnection | null> {
      const previous = parse(await kv.replicated.swap(PREFIX + connection.id, `${newVersion()}.${seal(connection)}`, ttlMs));
      await kv.schedule(schedule, connection.id, lapsesAt(connection));
      return previous;
    },

    /** Writes a new record (its id is fresh). */
    async create(connection: Connection): Promise<void> {
      await this.put(connection);
    },

    /** Records whose retention ended, each deleted here (unless signed in again meanwhile): revoke their grants. */
    async lapsed(limit: number): Promise<Connection[]> {
      const gone: Connection[] = [];
      for (const id of await kv.due(schedule, now(), limit)) {
        const stored = parse(await kv.get(PREFIX + id));
        if (stored && lapsesAt(stored.connection) > now()) {
          await kv.schedule(schedule, id, lapsesAt(stored.connection));
          continue;
        }
        await kv.unschedule(schedule, id);
        if (stored && (await kv.delIfPrefix(PREFIX + id, `${stored.version}.`))) gone.push(stored.connection);
        else {
          const current = parse(await kv.get(PREFIX + id)); // signed in again meanwhile: keep its schedule
          if (current) await kv.schedule(schedule, id, lapsesAt(current.connection));
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
      const value = `${newVersion()}.${seal(connection)}`;
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
