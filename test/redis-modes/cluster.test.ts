// Redis Cluster: three primaries of the test's own (test/support/redis-topologies.ts), the core
// suite on them, and what is particular to a cluster: sharded pub/sub across nodes, keys spread
// over every node, and no key with an accidental {hash tag}.
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { createRedis, redisReady, type RedisClient } from '../../src/store/redis';
import { createRedisStore } from '../../src/store/redis-kv';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/web/logging';
import { type Harness, TEST_REDIS_COMMAND_TIMEOUT_MS, connectThrough, startHarness } from '../support/harness';
import { startCluster, type RedisCluster } from '../support/redis-topologies';
import { coreSuite, type Topology } from './core-suite';

let cluster: RedisCluster;
let h: Harness;
const clock = { now: Date.now() };
let topology: Topology;

beforeAll(async () => {
  cluster = await startCluster(3);
  topology = {
    env: cluster.env,
    outage: async () => {
      await Promise.all(cluster.primaries.map((node) => node.kill()));
    },
    recover: async () => {
      await Promise.all(cluster.primaries.map((node) => node.start()));
      await cluster.healthy();
      await redisReady(h.redis);
    },
  };
  h = await startHarness({ redisEnv: cluster.env, now: () => clock.now });
}, 30_000);
afterAll(async () => {
  await h?.close();
  await cluster?.stop();
});

describe('Redis Cluster (3 primaries)', () => {
  coreSuite(() => ({ h, topology, clock }));
});

describe('Redis Cluster: pub/sub and keys', () => {
  const config = () => loadConfig({ ...cluster.env, CRONOFY_CLIENT_ID: 'id', CRONOFY_CLIENT_SECRET: 's', SESSION_SECRET: 'x'.repeat(32) });

  it('delivers messages published by one process to another, on channels owned by every node (sharded pub/sub)', async () => {
    const publisherClient = createRedis(config().redis!, createLogger('silent'), { commandTimeoutMs: TEST_REDIS_COMMAND_TIMEOUT_MS });
    const subscriberClient = createRedis(config().redis!, createLogger('silent'), { commandTimeoutMs: TEST_REDIS_COMMAND_TIMEOUT_MS });
    const publisher = createRedisStore(publisherClient);
    const subscriber = createRedisStore(subscriberClient);
    try {
      const channels = Array.from({ length: 64 }, (_, i) => `cronofy-connect:test:${randomBytes(4).toString('hex')}:${i}`);
      const heard = new Map<string, string>();
      let allHeard!: () => void;
      const done = new Promise<void>((resolve) => (allHeard = resolve));
      const stops = await Promise.all(
        channels.map((channel) =>
          subscriber.subscribe(channel, (message) => {
            heard.set(channel, message);
            if (heard.size === channels.length) allHeard();
          }),
        ),
      );
      // A cluster client does not queue commands while it connects (no offline queue): the
      // publisher's first command waits for it, as the app's first request waits for its client.
      await redisReady(publisherClient);
      for (const channel of channels) await publisher.publish(channel, `for ${channel}`);
      await done;
      expect([...heard].every(([channel, message]) => message === `for ${channel}`)).toBe(true);
      // Sharded subscriptions: each primary holds those of the buckets in its slots.
      const subscribedPerNode = await Promise.all(
        nodes(publisherClient).map(async (node) => {
          const counts = (await node.call('PUBSUB', 'SHARDNUMSUB', ...buckets())) as (string | number)[];
          return counts.filter((_, i) => i % 2 === 1).filter((count) => Number(count) > 0).length;
        }),
      );
      expect(subscribedPerNode.every((buckets) => buckets > 0)).toBe(true);
      expect(subscribedPerNode.reduce((a, b) => a + b, 0)).toBe(16);
      for (const stop of stops) await stop();
    } finally {
      await publisher.close();
      await subscriber.close();
      publisherClient.disconnect();
      subscriberClient.disconnect();
    }
  });

  it("spreads the app's keys over every primary, and no key carries a {hash tag}", async () => {
    for (let i = 0; i < 6; i++) expect((await connectThrough(h.agent(), { separateAccount: true })).status).toBe(302);
    const perNode = await Promise.all(nodes(h.redis).map((node) => scanAll(node, 'cronofy-connect:*')));
    expect(perNode.map((keys) => keys.length > 0)).toEqual([true, true, true]);
    expect(perNode.flat().filter((key) => /\{.*\}/.test(key))).toEqual([]);
  });
});

const buckets = () => Array.from({ length: 16 }, (_, n) => `cronofy-connect:bus:{${n}}`);

function nodes(client: RedisClient) {
  if (!(client instanceof Cluster)) throw new Error('not a cluster client');
  return client.nodes('master');
}

async function scanAll(node: ReturnType<typeof nodes>[number], pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
