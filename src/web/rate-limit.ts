// Rate limits on what an attacker would hammer: starting flows, the callback, and every POST.
// Counted per client IP in Redis, so several app instances share one budget (rate-limit-redis);
// in-process only in the sandbox without Redis.
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { IncrementResponse } from 'express-rate-limit';
import type Redis from 'ioredis';
import { PageError } from './errors';
import { StorageError } from '../store/errors';

export interface RateLimits {
  /** GET /connect/* and /oauth/callback, per IP per minute. */
  connectPerMinute: number;
  /** Any POST, per IP per minute. */
  postPerMinute: number;
  /** Redis key prefix; lets test suites keep their own counters. */
  prefix?: string;
}

/**
 * rate-limit-redis loads its Lua script once, at the first request; if Redis is down then, that
 * promise stays rejected and every later request fails even after Redis is back. Reload it after
 * a failure so the limiter recovers with Redis, without a restart.
 */
class RecoveringRedisStore extends RedisStore {
  override async init(options: Parameters<RedisStore['init']>[0]): Promise<void> {
    try {
      await super.init(options);
    } catch {
      // Redis is down at the first request: that request fails with a 503, the next one reloads.
    }
  }

  override async increment(key: string): Promise<IncrementResponse> {
    try {
      return await super.increment(key);
    } catch (err) {
      this.incrementScriptSha = this.loadIncrementScript();
      this.incrementScriptSha.catch(() => undefined);
      throw new StorageError('rate-limit.increment', err);
    }
  }
}

export function rateLimiters(limits: RateLimits, redis: Redis | null): { connect: RequestHandler; post: RequestHandler } {
  const prefix = limits.prefix ?? 'cronofy-connect:rl:';
  const make = (name: string, limit: number): RequestHandler =>
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      store: redis
        ? new RecoveringRedisStore({
            prefix: `${prefix}${name}:`,
            sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
          })
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
  return {
    connect: make('connect', limits.connectPerMinute),
    post: (req, res, next) => (req.method === 'POST' ? post(req, res, next) : next()),
  };
}
