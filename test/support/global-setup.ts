// Before any test file: find the Redis the tests use (test-redis.ts), starting one of our own when
// none answers, and point REDIS_URL at it for every test file (workers start after this).
import type { OwnRedis } from './redis-server';
import { ensureTestRedis } from './test-redis';

declare global {
  var ownTestRedis: OwnRedis | undefined;
}

export default async function globalSetup(): Promise<void> {
  const redis = await ensureTestRedis(process.env);
  if (!redis.own) return;
  globalThis.ownTestRedis = redis.own.redis;
  process.env.REDIS_URL = redis.url;
  console.warn(`\n${redis.own.reason}`);
}
