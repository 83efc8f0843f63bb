// The orchestrator's own Redis connection (a database of its own, flushed at start and end) and the
// few inspections the report needs: key counts and the memory the benchmark's keys take.
import Redis from 'ioredis';

export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

export function benchRedis(): Redis {
  const redis = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', (err: Error) => console.error(`bench redis: ${err.message}`));
  return redis;
}

async function eachKey(redis: Redis, pattern: string, visit: (keys: string[]) => Promise<void>): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await visit(keys);
  } while (cursor !== '0');
}

export async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let count = 0;
  await eachKey(redis, pattern, async (keys) => void (count += keys.length));
  return count;
}

/**
 * Keys and bytes (MEMORY USAGE, every element sampled) in the benchmark's database. The server is
 * shared with other work, so INFO's used_memory would count that work too.
 */
export async function keyspaceMemory(redis: Redis): Promise<{ keys: number; bytes: number }> {
  let keys = 0;
  let bytes = 0;
  await eachKey(redis, '*', async (batch) => {
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    for (const [, value] of (await pipeline.exec()) ?? []) bytes += typeof value === 'number' ? value : 0;
    keys += batch.length;
  });
  return { keys, bytes };
}

export async function redisInfo(redis: Redis): Promise<{ version: string; pid: number }> {
  const server = await redis.info('server');
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(server)?.[1]?.trim() ?? '';
  return { version: field('redis_version'), pid: Number(field('process_id')) };
}
