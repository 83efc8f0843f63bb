// Which Redis the tests use (called once, by global-setup.ts, before any test file):
// - REDIS_URL (default redis://127.0.0.1:6379) answers: that one;
// - REDIS_URL is unset, nothing answers on the default and `redis-server` is installed: one of our
//   own on a free loopback port, for this run only (the caller stops it);
// - otherwise an error saying what to do.
import { spawnSync } from 'node:child_process';
import Redis from 'ioredis';
import { closeRedis } from '../../src/store/redis';
import { startOwnRedis, type OwnRedis } from './redis-server';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface TestRedis {
  url: string;
  /** Set when we started it; says why. */
  own?: { redis: OwnRedis; reason: string };
}

export async function ensureTestRedis(env: NodeJS.ProcessEnv, defaultUrl = DEFAULT_REDIS_URL): Promise<TestRedis> {
  const url = env.REDIS_URL ?? defaultUrl;
  const problem = await ping(url);
  if (problem === null) return { url };
  if (env.REDIS_URL === undefined && redisServerInstalled()) {
    const redis = await startOwnRedis();
    return { url: redis.url, own: { redis, reason: `No Redis at ${url} (${problem}): started redis-server on ${redis.url} for this run; it stops when the tests end.` } };
  }
  throw new Error(
    `The tests need a real Redis at ${url}, and it did not answer (${problem}). ` +
      (env.REDIS_URL === undefined
        ? 'Start one (e.g. `redis-server`) or set REDIS_URL to another; with redis-server installed the tests start their own.'
        : 'Start it, or unset REDIS_URL to use 127.0.0.1:6379 (or a redis-server the tests start themselves).'),
  );
}

/** null when `url` answers PING, else why not. */
async function ping(url: string): Promise<string | null> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  let lastError: string | undefined;
  redis.on('error', (err: Error) => (lastError = err.message));
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (err) {
    return lastError ?? (err as Error).message;
  } finally {
    // closeRedis leaves a client that never connected alone: disconnect() on it would arm ioredis's
    // 2 s disconnectTimeout on a closed socket, and that timer held the jest worker open.
    await closeRedis(redis);
  }
}

function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}
