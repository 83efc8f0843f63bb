// The orchestrator's own Redis connection (database 15, flushed at start and end) and the few
// inspections the report needs: key counts, MEMORY USAGE, dummy sessions for the growth test.
import Redis from 'ioredis';

export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
export const DUMMY_MARK = 'bench-dummy-';

export function benchRedis(): Redis {
  const redis = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', (err: Error) => console.error(`bench redis: ${err.message}`));
  return redis;
}

export async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Adds `count` session keys under `prefix` holding `value`, pipelined 1,000 at a time. */
export async function addDummySessions(redis: Redis, prefix: string, value: string, count: number, ttlS: number, from = 0): Promise<void> {
  for (let start = from; start < from + count; start += 1000) {
    const pipeline = redis.pipeline();
    for (let i = start; i < Math.min(start + 1000, from + count); i++) pipeline.set(`${prefix}${DUMMY_MARK}${i}`, value, 'EX', ttlS);
    await pipeline.exec();
  }
}

/** MEMORY USAGE with every element sampled (exact for lists), 0 when the key is missing. */
export async function memoryUsage(redis: Redis, key: string): Promise<number> {
  const bytes = (await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) as number | null;
  return bytes ?? 0;
}

export async function redisInfo(redis: Redis): Promise<{ version: string; pid: number; usedMemory: number }> {
  const server = await redis.info('server');
  const memory = await redis.info('memory');
  const field = (text: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return { version: field(server, 'redis_version'), pid: Number(field(server, 'process_id')), usedMemory: Number(field(memory, 'used_memory')) };
}
