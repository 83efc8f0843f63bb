// Rate limits on what an attacker would hammer: starting flows, the callback, and every POST, per
// client IP; and the pages that call Cronofy (whose rate limit is per application, shared by all
// users), per session and per IP. Counted in Redis, so several app instances share one budget
// (rate-limit-redis); in-process only in the sandbox without Redis. A visitor without a connection
// of any kind (individual, organization or an Enterprise Connect service account) is never counted
// on the pages (they call nothing), so an anonymous GET writes no key.
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply, type SendCommandClusterDetails } from 'rate-limit-redis';
import type { IncrementResponse } from 'express-rate-limit';
import { Cluster } from 'ioredis';
import { PageError } from './errors';
import { StorageError } from '../store/errors';
import type { RedisClient } from '../store/redis';
import { connectionIds } from '../session/access';

export interface RateLimits {
  /** GET /connect/* and /oauth/callback, per IP per minute. */
  connectPerMinute: number;
  /** Any POST, per IP per minute. */
  postPerMinute: number;
  /** Pages that call Cronofy, per session per minute; per IP ten times that. */
  cronofyPagesPerMinute?: number;
  /** Redis key prefix; lets test suites keep their own counters. */
  prefix?: string;
}

/**
 * rate-limit-redis loads its Lua script once and keeps the promise; if Redis is down then, that
 * promise stays rejected and every later request fails even after Redis is back. Here a failure
 * only marks the script as stale, and the next request loads it again before using it: the first
 * request after Redis returns succeeds.
 */
class RecoveringRedisStore extends RedisStore {
  private stale = false;

  override async init(options: Parameters<RedisStore['init']>[0]): Promise<void> {
    try {
      await super.init(options);
    } catch {
      this.stale = true; // Redis is down at the first request: that request fails with a 503
    }
  }

  override async increment(key: string): Promise<IncrementResponse> {
    try {
      if (this.stale) {
        const loading = this.loadIncrementScript(key);
        this.incrementScriptSha = loading;
        await loading;
        this.stale = false;
      }
      return await super.increment(key);
    } catch (err) {
      this.stale = true;
      throw new StorageError('rate-limit.increment', err);
    }
  }
}

export interface RateLimiters {
  connect: RequestHandler;
  post: RequestHandler;
  /** For pages that call Cronofy; needs the session (counts only visitors with a connection). */
  cronofyPages: RequestHandler;
}

export function rateLimiters(limits: RateLimits, redis: RedisClient | null): RateLimiters {
  const prefix = limits.prefix ?? 'cronofy-connect:rl:';
  const make = (name: string, limit: number, keyGenerator?: (req: Request) => string): RequestHandler =>
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      ...(keyGenerator ? { keyGenerator } : {}),
      skip: keyGenerator ? (req) => !hasConnection(req) : undefined,
      store: redis
        ? new RecoveringRedisStore({ prefix: `${prefix}${name}:`, ...commandsFor(redis) })
        : undefined,
      handler: (_req, _res, next, options) =>
        next(
          new PageError({
            status: 429,
            code: 'rate_limited',
            title: 'Too many attempts',
            message: 'This browser (or network) made too many requests of this kind in the last minute. Wait a minute and try again.',
            next: [{ href: '/', label: 'Back to the start' }],
            headers: { 'Retry-After': String(Math.ceil(options.windowMs / 1000)) },
          }),
        ),
    });
  const post = make('post', limits.postPerMinute);
  const pages = limits.cronofyPagesPerMinute ?? 60;
  const perSession = make('pages-session', pages, (req) => req.sessionID);
  const perIp = make('pages-ip', pages * 10, (req) => ipKeyGenerator(req.ip ?? ''));
  return {
    connect: make('connect', limits.connectPerMinute),
    post: (req, res, next) => (req.method === 'POST' ? post(req, res, next) : next()),
    cronofyPages: (req, res, next) => perIp(req, res, (err?: unknown) => (err ? next(err) : perSession(req, res, next))),
  };
}

/**
 * How rate-limit-redis reaches Redis. Its counters are one key each (EVALSHA with that key). In a
 * cluster the script is loaded on every primary: SCRIPT LOAD names no key, and a script cache is
 * per node (not replicated, so a promoted replica answers NOSCRIPT and the store loads it again).
 */
function commandsFor(redis: RedisClient) {
  if (!(redis instanceof Cluster)) {
    return { sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply> };
  }
  return {
    sendCommandCluster: async ({ command: [name = '', ...args] }: SendCommandClusterDetails): Promise<RedisReply> => {
      if (name.toUpperCase() !== 'SCRIPT') return redis.call(name, ...args) as Promise<RedisReply>;
      const primaries = redis.nodes('master');
      // Not connected yet: this fails as any command does then, and the next request loads it again.
      if (primaries.length === 0) return redis.call(name, ...args) as Promise<RedisReply>;
      const [sha] = await Promise.all(primaries.map((node) => node.call(name, ...args)));
      return sha as RedisReply;
    },
  };
}

/** Any connection counts: each of them makes these pages call Cronofy (M10). */
const hasConnection = (req: Request): boolean => Object.values(connectionIds(req)).some(Boolean);
