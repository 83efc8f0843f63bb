// Sessions: a small cookie holding a signed id, the data in Redis (connect-redis 8, the last
// major that takes an ioredis client). Tokens are not in here: see connections/token-store.ts.
// - cookie: non-default name, HttpOnly, SameSite=Lax (Strict would drop it on the way back from
//   Cronofy), Secure under https (named __Host- then), no Domain, no Max-Age (ends with the browser);
// - idle expiry: the store's TTL, renewed on each request; absolute lifetime: checked here.
import type { RequestHandler } from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import './types';
import { createdAtOf, inspectorIdOf } from './access';
import { StorageError } from '../store/errors';
import type { RedisClient } from '../store/redis';

export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 8 * 60 * 60 * 1000;
/**
 * Records only one session can reach (decision 010) lapse when it idles out (./hold.ts). Their lapse
 * stays at least the idle timeout plus this grace ahead of the session's latest request, so a live
 * session never loses them (a long request, the clocks of two instances)...
 */
export const SESSION_HOLD_GRACE_MS = 5 * 60 * 1000;
/** ...a request moves it on once less than this is left... */
export const SESSION_HOLD_RENEW_MS = SESSION_IDLE_MS + SESSION_HOLD_GRACE_MS;
/** ...to this far ahead: written at most once per half idle timeout, revoked 5-20 minutes after the session idled out. */
export const SESSION_HOLD_MS = SESSION_HOLD_RENEW_MS + SESSION_IDLE_MS / 2;
export const SESSION_PREFIX = 'cronofy-connect:sess:';

export interface SessionOptions {
  secret: string;
  secureCookies: boolean;
  /** null: express-session's in-process MemoryStore (sandbox without Redis only). */
  redis: RedisClient | null;
  now?: () => number;
  /** Told when a session ends at its absolute lifetime (to delete what hangs off it). */
  onEnd?: (ended: { inspectorId: string | undefined }) => Promise<void>;
}

export function sessionCookieName(secureCookies: boolean): string {
  return secureCookies ? '__Host-cc.sid' : 'cc.sid';
}

export function createSessionMiddleware(options: SessionOptions): RequestHandler[] {
  const store = options.redis
    ? new RedisStore({ client: options.redis, prefix: SESSION_PREFIX, ttl: SESSION_IDLE_MS / 1000 })
    : new session.MemoryStore();
  const now = options.now ?? Date.now;

  const sessions = session({
    name: sessionCookieName(options.secureCookies),
    secret: options.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: options.secureCookies, path: '/' },
  });

  // Whatever the session store fails with (Redis down, timed out) reaches the app as a StorageError.
  const loadSession: RequestHandler = (req, res, next) =>
    sessions(req, res, (err?: unknown) => next(err ? new StorageError('session.load', err) : undefined));

  const absoluteLifetime: RequestHandler = (req, _res, next) => {
    const started = createdAtOf(req);
    if (started !== undefined && now() - started > SESSION_ABSOLUTE_MS) {
      const ended = { inspectorId: inspectorIdOf(req) };
      req.session.regenerate((err) => {
        if (err) return next(new StorageError('session.regenerate', err));
        if (!options.onEnd) return next();
        options.onEnd(ended).then(() => next(), next);
      });
      return;
    }
    next();
  };

  return [loadSession, absoluteLifetime];
}
