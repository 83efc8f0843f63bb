// Every call made for a connection goes through withAccessToken:
// - refresh shortly before expiry; on a 401 refresh once and retry once, then give up clearly;
// - one refresh per connection at a time, across concurrent requests (an in-process promise) and
//   across app processes (a Redis lock: SET NX PX, released only by its holder); the others wait
//   for the holder's "refreshed" message and read the new tokens from the store;
// - always keep the refresh token Cronofy returns, the old one only when none is returned;
// - invalid_grant on refresh: forget the connection, revoke by sub (an earlier refresh whose answer
//   was lost may have left a rotated grant live at Cronofy), and ask to reconnect;
// - a refresh that lands after a disconnect does not bring the tokens back: it revokes them;
// - an answer with an impossible expires_in is revoked and the connection forgotten;
// - through a Redis failover (decision 011): the lock and the rotated tokens are written through
//   kv.replicated, so the new primary has both; a rotated token the store could not take (the
//   failover under way) is written again until shortly before the lock runs out, since nothing
//   else can recreate it.
import { randomBytes } from 'node:crypto';
import type { CronofyClient } from '../cronofy/client';
import type { DataCenter } from '../cronofy/data-centers';
import { CronofyError, ReconnectRequiredError } from '../cronofy/errors';
import { saneExpiresIn } from '../cronofy/expires-in';
import type { KeyValueStore } from '../store/kv';
import type { Connection } from './connection';
import type { StoredConnection, TokenStore } from './token-store';

export interface AccessTokensOptions {
  tokens: TokenStore;
  kv: KeyValueStore;
  clientFor: (dataCenter: DataCenter) => CronofyClient;
  /** Refresh when the access token has less than this left; default 60 s. */
  refreshSkewMs?: number;
  /** A lock holder that died is replaced after this; default 15 s (longer than a token call). */
  lockTtlMs?: number;
  now?: () => number;
  /** Gives a grant back to Cronofy (queued when Cronofy cannot be reached). */
  giveBack: (connection: Connection, target: { token: string } | { sub: string }, reason: string) => Promise<unknown>;
  /** Told when a refresh happened (for the flow inspector and logs). */
  onRefresh?: (refreshed: Connection, previous: Connection) => void;
}

const LOCK_PREFIX = 'cronofy-connect:refresh-lock:';
const CHANNEL_PREFIX = 'cronofy-connect:refreshed:';
const MAX_LOCK_ROUNDS = 3;
/** Kept between the last try to store rotated tokens and the lock's end (a write and its WAIT). */
const LOCK_MARGIN_MS = 2500;

export function createAccessTokens(options: AccessTokensOptions) {
  const { tokens, kv, clientFor } = options;
  const skew = options.refreshSkewMs ?? 60_000;
  const lockTtl = options.lockTtlMs ?? 15_000;
  const now = options.now ?? Date.now;
  const inFlight = new Map<string, Promise<Connection>>();

  async function load(id: string): Promise<StoredConnection> {
    const stored = await tokens.get(id);
    if (!stored) throw new ReconnectRequiredError('missing', id);
    return stored;
  }

  const isFresh = (connection: Connection) => connection.expires_at - now() > skew;

  /** A fresh access token other than `stale`, refreshing at most once across all processes. */
  function refresh(stale: Connection): Promise<Connection> {
    let pending = inFlight.get(stale.id);
    if (!pending) {
      pending = refreshOnce(stale).finally(() => inFlight.delete(stale.id));
      inFlight.set(stale.id, pending);
    }
    return pending;
  }

  async function refreshOnce(stale: Connection): Promise<Connection> {
    const lockKey = LOCK_PREFIX + stale.id;
    const channel = CHANNEL_PREFIX + stale.id;
    for (let round = 0; round < MAX_LOCK_ROUNDS; round++) {
      const current = await load(stale.id);
      if (current.connection.access_token !== stale.access_token) return current.connection;

      const holder = randomBytes(16).toString('hex');
      const lockedAt = performance.now();
      if (await kv.replicated.setIfAbsent(lockKey, holder, lockTtl)) {
        try {
          return await refreshHoldingLock(stale, () => lockTtl - LOCK_MARGIN_MS - (performance.now() - lockedAt));
        } finally {
          // Best effort: a lock not released runs out by itself; the outcome above stands.
          await kv.delIfEquals(lockKey, holder).catch(() => undefined);
          await kv.publish(channel, 'done').catch(() => undefined);
        }
      }
      await waitForMessage(channel, async () => {
        const latest = await tokens.get(stale.id);
        return latest === null || latest.connection.access_token !== stale.access_token;
      });
    }
    throw new CronofyError('unavailable', 'The token refresh did not complete in time');
  }

  /** `lockLeftMs`: how long the lock still holds (less a margin), for storing what Cronofy answered. */
  async function refreshHoldingLock(stale: Connection, lockLeftMs: () => number): Promise<Connection> {
    const { connection, version } = await load(stale.id);
    if (connection.access_token !== stale.access_token) return connection; // done just before we got the lock

    let answer;
    try {
      answer = await clientFor(connection.data_center).refreshAccessToken(connection.refresh_token);
    } catch (err) {
      if (err instanceof CronofyError && err.code === 'invalid_grant') {
        // Only if nobody refreshed meanwhile (a lock that outlived its TTL): else the tokens are good.
        if (!(await tokens.removeIfVersion(connection.id, version))) {
          const latest = await tokens.get(connection.id);
          if (latest) return latest.connection;
        } else {
          const target = connection.sub ? { sub: connection.sub } : { token: connection.refresh_token };
          await options.giveBack(connection, target, 'invalid_grant on refresh');
        }
        throw new ReconnectRequiredError(
          'revoked',
          connection.id,
          'Cronofy no longer accepts this connection: it was revoked or has expired.');
      }
      throw err;
    }

    if (!saneExpiresIn(answer.expires_in)) {
      await options.giveBack(connection, { token: answer.refresh_token ?? connection.refresh_token }, 'impossible expires_in on refresh');
      await tokens.removeIfVersion(connection.id, version);
      throw new ReconnectRequiredError('revoked', connection.id, 'Cronofy answered the token refresh with an impossible token lifetime.');
    }
    const refreshed: Connection = {
      ...connection,
      access_token: answer.access_token,
      refresh_token: answer.refresh_token ?? connection.refresh_token,
      expires_at: now() + answer.expires_in * 1000,
      scope: answer.scope || connection.scope,
      refreshed_at: now(),
    };
    if (!(await tokens.replace(version, refreshed, Math.max(0, lockLeftMs())))) {
      // Disconnected (or logged out) while the refresh was on the wire: the tokens stay gone.
      await options.giveBack(refreshed, { token: refreshed.refresh_token }, 'refreshed after disconnect');
      throw new ReconnectRequiredError('missing', connection.id);
    }
    options.onRefresh?.(refreshed, connection);
    return refreshed;
  }

  /** Resolves on the holder's message, or after the lock's lifetime in case the holder died. */
  async function waitForMessage(channel: string, alreadyDone: () => Promise<boolean>): Promise<void> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const unsubscribe = await kv.subscribe(channel, () => wake());
    const timer = setTimeout(() => wake(), lockTtl);
    try {
      if (!(await alreadyDone())) await woken;
    } finally {
      clearTimeout(timer);
      await unsubscribe();
    }
  }

  return {
    /** The connection as stored, refreshed first if it is about to expire. */
    async current(id: string): Promise<Connection> {
      const { connection } = await load(id);
      return isFresh(connection) ? connection : refresh(connection);
    },

    /** `call`'s result, and the connection it was made with (as it stands after any refresh). */
    async withAccessToken<T>(id: string, call: (connection: Connection) => Promise<T>): Promise<{ result: T; connection: Connection }> {
      let connection = await this.current(id);
      try {
        return { result: await call(connection), connection };
      } catch (err) {
        if (!(err instanceof CronofyError && err.code === 'unauthorized')) throw err;
        connection = await refresh(connection);
        return { result: await call(connection), connection }; // once: a second 401 is reported, not looped on
      }
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;
