// The durable revocation queue's writes (src/revocation/queue.ts) on a real Redis: a job is
// scheduled before it is stored, so a process that dies between the two writes leaves at most a
// schedule entry the next claim clears, never a stored job that nothing will ever work. The death is
// a store whose next write throws; nothing else stands in for Redis.
import { randomBytes } from 'node:crypto';
import { createRevocationQueue } from '../../src/revocation/queue';
import { closeRedis, createRedis, oneServer, redisReady, type RedisClient } from '../../src/store/redis';
import { createRedisStore } from '../../src/store/redis-kv';
import type { KeyValueStore } from '../../src/store/kv';
import { createLogger } from '../../src/web/logging';
import { REDIS_URL, TEST_REDIS_COMMAND_TIMEOUT_MS } from '../support/harness';

let redis: RedisClient;
let kv: ReturnType<typeof createRedisStore>;

beforeAll(async () => {
  redis = createRedis(oneServer(REDIS_URL), createLogger('silent'), { commandTimeoutMs: TEST_REDIS_COMMAND_TIMEOUT_MS });
  kv = createRedisStore(redis);
  await redisReady(redis);
});
afterAll(async () => {
  await kv.close();
  await closeRedis(redis);
});

/** The store, except that the process "dies" at its first call of `method` (the call throws). */
function dyingAt(method: 'set' | 'schedule'): KeyValueStore {
  return new Proxy(kv, {
    get(target, name, receiver) {
      if (name === method) return () => Promise.reject(new Error(`process died before ${method}`));
      const value: unknown = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function queues() {
  const namespace = `test-${randomBytes(6).toString('hex')}`;
  let clock = Date.now();
  const options = { namespace, now: () => clock, retryBaseMs: 1 };
  return {
    namespace,
    live: createRevocationQueue({ kv, ...options }),
    dying: (method: 'set' | 'schedule') => createRevocationQueue({ kv: dyingAt(method), ...options }),
    later: () => (clock += 60_000),
    jobKeys: () => redis.keys(`cronofy-connect:revoke:${namespace}:job:*`),
  };
}

const job = { data_center: 'us' as const, target: { token: 'a-refresh-token' }, reason: 'disconnect' };

describe('adding a queued revocation', () => {
  it('dies after scheduling, before storing the job: the schedule entry is cleared by the next worker, nothing is left', async () => {
    const q = queues();
    await expect(q.dying('set').add(job)).rejects.toThrow('process died before set');
    q.later();
    const [id] = await q.live.due(10);
    expect(id).toBeDefined(); // the entry was written first...
    expect(await q.live.claim(id!, 'worker')).toBeNull(); // ...holds no job, and the claim clears it
    expect(await q.live.due(10)).toEqual([]);
    expect(await q.jobKeys()).toEqual([]);
  });

  it('dies before scheduling: no job is stored, so none is left that no worker would ever pick up', async () => {
    const q = queues();
    await expect(q.dying('schedule').add(job)).rejects.toThrow('process died before schedule');
    expect(await q.jobKeys()).toEqual([]);
  });

  it('completes: the job is stored and comes due after the first back-off', async () => {
    const q = queues();
    const added = await q.live.add(job);
    expect(await q.jobKeys()).toHaveLength(1);
    q.later();
    expect(await q.live.due(10)).toEqual([added.id]);
    expect(await q.live.claim(added.id, 'worker')).toMatchObject({ id: added.id, target: job.target, attempts: 1 });
  });
});
