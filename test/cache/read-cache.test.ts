// The per-connection read cache on a real Redis: reuse within the TTL, and invalidation that also
// beats an answer still in flight when the app changed something; entries sealed when a key is set.
import { randomBytes } from 'node:crypto';
import { createReadCache } from '../../src/cache/read-cache';
import { createQuotaHold } from '../../src/cronofy/quota-hold';
import { createRedis, oneServer, type RedisClient } from '../../src/store/redis';
import { createRedisStore } from '../../src/store/redis-kv';
import { createLogger } from '../../src/web/logging';
import { REDIS_URL, TEST_REDIS_COMMAND_TIMEOUT_MS } from '../support/harness';

let redis: RedisClient;
let store: ReturnType<typeof createRedisStore>;
let clock = 1_000_000;
beforeAll(() => {
  redis = createRedis(oneServer(REDIS_URL), createLogger('silent'), { commandTimeoutMs: TEST_REDIS_COMMAND_TIMEOUT_MS });
  store = createRedisStore(redis);
});
afterAll(async () => {
  await store.close();
  redis.disconnect();
});

const connection = () => `test-${randomBytes(6).toString('hex')}`;

describe('read cache', () => {
  it('answers from the store within its TTL, then asks again', async () => {
    const cache = createReadCache(store, 30_000, () => clock);
    const id = connection();
    let asked = 0;
    const fetch = async () => ({ n: ++asked });
    expect(await cache.read(id, 'calendars', fetch)).toEqual({ value: { n: 1 }, fetchedAt: clock });
    clock += 29_000;
    expect((await cache.read(id, 'calendars', fetch)).value).toEqual({ n: 1 });
    clock += 1_000;
    expect((await cache.read(id, 'calendars', fetch)).value).toEqual({ n: 2 });
  });

  it('ignores, after an invalidation, an answer that was still in flight when it happened', async () => {
    const cache = createReadCache(store, 30_000, () => clock);
    const id = connection();
    let release: (value: string) => void = () => undefined;
    const inFlight = cache.read(id, 'calendars', () => new Promise<string>((resolve) => (release = resolve)));
    await new Promise((resolve) => setImmediate(resolve));
    clock += 1;
    await cache.invalidate(id);
    release('before the change');
    expect((await inFlight).value).toBe('before the change'); // that page shows what it asked for
    clock += 1;
    expect((await cache.read(id, 'calendars', async () => 'after the change')).value).toBe('after the change');
  });

  it('seals its entries with TOKEN_ENCRYPTION_KEY: Redis holds no readable personal data, and another key misses', async () => {
    const key = randomBytes(32);
    const cache = createReadCache(store, 30_000, () => clock, key);
    const id = connection();
    const members = [{ name: 'Ada Lovelace', email: 'ada@example.com' }];
    await cache.read(id, 'members', async () => members);
    const raw = (await redis.get(`cronofy-connect:cache:${id}:members`))!;
    expect(raw).toMatch(/^enc:/);
    expect(raw).not.toContain('ada@example.com');
    expect(Buffer.from(raw.slice(4), 'base64').toString('latin1')).not.toContain('ada@example.com');
    expect((await cache.read(id, 'members', async () => [])).value).toEqual(members); // read back through the key

    let asked = 0;
    const otherKey = createReadCache(store, 30_000, () => clock, randomBytes(32));
    expect((await otherKey.read(id, 'members', async () => (++asked, members))).value).toEqual(members);
    expect(asked).toBe(1); // the entry it could not open counted as a miss, not an error
  });

  it('is off with a TTL of 0', async () => {
    const cache = createReadCache(store, 0, () => clock);
    const id = connection();
    let asked = 0;
    await cache.read(id, 'calendars', async () => ++asked);
    await cache.read(id, 'calendars', async () => ++asked);
    expect(asked).toBe(2);
  });
});

describe('quota hold', () => {
  it('holds for Retry-After capped at 60 s, never shortens a longer hold, and ends when the time has passed', async () => {
    const hold = createQuotaHold(store, `cronofy-connect:quota-hold:test:${randomBytes(4).toString('hex')}`, () => clock);
    expect(await hold.remainingMs()).toBe(0);
    await hold.hold(3600);
    expect(await hold.remainingMs()).toBe(60_000);
    await hold.hold(5);
    expect(await hold.remainingMs()).toBe(60_000);
    clock += 60_000;
    expect(await hold.remainingMs()).toBe(0);
  });
});
