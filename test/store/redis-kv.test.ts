// The Redis store's pub/sub, which the cross-instance refresh lock waits on, and its bounded lists.
import { randomBytes } from 'node:crypto';
import { createRedis, oneServer, type RedisClient } from '../../src/store/redis';
import { createRedisStore } from '../../src/store/redis-kv';
import { createMemoryStore } from '../../src/store/memory-kv';
import { createLogger } from '../../src/web/logging';
import { REDIS_URL, TEST_REDIS_COMMAND_TIMEOUT_MS } from '../support/harness';

let redis: RedisClient;
let store: ReturnType<typeof createRedisStore>;
beforeAll(() => {
  redis = createRedis(oneServer(REDIS_URL), createLogger('silent'), { commandTimeoutMs: TEST_REDIS_COMMAND_TIMEOUT_MS });
  store = createRedisStore(redis);
});
afterAll(async () => {
  await store.close();
  redis.disconnect();
});

const channel = (name: string) => `cronofy-connect:test:${randomBytes(4).toString('hex')}:${name}`;
const nextMessage = (on: string) =>
  new Promise<{ message: string; stop: () => Promise<void> }>((resolve, reject) => {
    let stop: () => Promise<void> = async () => undefined;
    store.subscribe(on, (message) => resolve({ message, stop })).then((s) => (stop = s), reject);
  });

describe('redis store pub/sub', () => {
  it('delivers a message to every listener of its channel only, and to none after unsubscribing', async () => {
    const a = channel('a');
    const b = channel('b');
    const got: string[] = [];
    const stopA1 = await store.subscribe(a, (m) => got.push(`a1:${m}`));
    const stopA2 = await store.subscribe(a, (m) => got.push(`a2:${m}`));
    const stopB = await store.subscribe(b, (m) => got.push(`b:${m}`));
    const seen = nextMessage(b);
    await store.publish(a, 'one');
    await store.publish(b, 'two');
    await seen;
    await stopA1();
    const again = nextMessage(a);
    await store.publish(a, 'three');
    await again;
    expect(got.sort()).toEqual(['a1:one', 'a2:one', 'a2:three', 'b:two']);
    await stopA2();
    await stopB();
  });

  it('keeps serving commands while 200 waiters subscribe, hear and unsubscribe at once', async () => {
    const channels = Array.from({ length: 5 }, (_, i) => channel(String(i)));
    const key = `cronofy-connect:test:${randomBytes(4).toString('hex')}`;
    await store.set(key, 'v', 10_000);
    const rounds = Array.from({ length: 200 }, async (_, i) => {
      const on = channels[i % channels.length]!;
      let heard!: () => void;
      const done = new Promise<void>((resolve) => (heard = resolve));
      const stop = await store.subscribe(on, () => heard());
      await store.publish(on, `m${i}`);
      await done;
      await stop();
      return store.get(key);
    });
    expect(await Promise.all(rounds)).toEqual(Array(200).fill('v'));
  });

  it('refuses a channel outside the app prefix', async () => {
    await expect(store.subscribe('other-app:x', () => undefined)).rejects.toThrow('cronofy-connect:');
  });
});

describe('pushBounded', () => {
  it.each([
    ['Redis', () => store],
    ['the sandbox memory store', () => createMemoryStore()],
  ])('in %s keeps the newest items and returns the ones it dropped, oldest last', async (_name, storeOf) => {
    const kv = storeOf();
    const key = channel('list');
    expect(await kv.pushBounded(key, 'a', 2, 60_000)).toEqual([]);
    expect(await kv.pushBounded(key, 'b', 2, 60_000)).toEqual([]);
    expect(await kv.pushBounded(key, 'c', 2, 60_000)).toEqual(['a']);
    expect(await kv.list(key)).toEqual(['c', 'b']);
    expect(await kv.pushBounded(key, 'd', 1, 60_000)).toEqual(['c', 'b']);
    expect(await kv.list(key)).toEqual(['d']);
    await kv.del(key);
  });

  it.each([
    ['Redis', () => store],
    ['the sandbox memory store', () => createMemoryStore()],
  ])('in %s loses nothing when pushes arrive at once: each item is kept or returned as dropped', async (_name, storeOf) => {
    const kv = storeOf();
    const key = channel('list');
    const items = Array.from({ length: 8 }, (_, i) => `item-${i}`);
    const dropped = (await Promise.all(items.map((item) => kv.pushBounded(key, item, 3, 60_000)))).flat();
    const kept = await kv.list(key);
    expect(kept).toHaveLength(3);
    expect([...kept, ...dropped].sort()).toEqual(items);
    await kv.del(key);
  });
});
