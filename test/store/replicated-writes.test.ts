// Writes a failover must not lose (src/store/replicated-writes.ts), on a real primary and replica
// of the test's own: acknowledged by the replica with WAIT, shared WAITs for concurrent writes, a
// bounded wait when the replica stops answering, and no wait where there is no replica.
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createRedis, oneServer, redisReady, type RedisClient } from '../../src/store/redis';
import { createRedisStore } from '../../src/store/redis-kv';
import type { ReplicationEvent } from '../../src/store/replicated-writes';
import { createLogger } from '../../src/web/logging';
import { TEST_REDIS_COMMAND_TIMEOUT_MS } from '../support/harness';
import { startOwnRedis, type OwnRedis } from '../support/redis-server';
import { type ReplicatedPair, startReplicatedPair } from '../support/redis-topologies';

let pair: ReplicatedPair;
beforeAll(async () => {
  pair = await startReplicatedPair();
}, 30_000);
afterAll(() => pair?.stop());

/** A store on `url` and what it reports about replication; close() ends both. */
async function storeOn(url: string, replicaWaitMs = 500) {
  const events: ReplicationEvent[] = [];
  const client: RedisClient = createRedis(oneServer(url), createLogger('silent'), { commandTimeoutMs: TEST_REDIS_COMMAND_TIMEOUT_MS });
  await redisReady(client);
  const kv = createRedisStore(client, { replicaWaitMs, onReplication: (event) => events.push(event) });
  return {
    kv,
    events,
    unreplicated: () => events.filter((e) => e.kind === 'unreplicated'),
    async close() {
      await kv.close();
      client.disconnect();
    },
  };
}

async function waitCalls(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    return Number(/^cmdstat_wait:calls=(\d+)/m.exec(await redis.info('commandstats'))?.[1] ?? 0);
  } finally {
    redis.disconnect();
  }
}

const key = () => `cronofy-connect:test:replicated:${randomBytes(6).toString('hex')}`;
const urlOf = (address: string) => `redis://${address}`;

describe('replicated writes', () => {
  it('are acknowledged by the replica, concurrent writes sharing a WAIT, and nothing is reported as unreplicated', async () => {
    // A generous bound: this is about the acknowledgement, and a busy machine can starve the replica for 500 ms.
    const store = await storeOn(urlOf(pair.primary.address), 10_000);
    try {
      const before = await waitCalls(urlOf(pair.primary.address));
      const keys = Array.from({ length: 30 }, key);
      expect(await Promise.all(keys.map((k) => store.kv.replicated.setIfAbsent(k, 'v1', 60_000)))).toEqual(Array(30).fill(true));
      const waits = (await waitCalls(urlOf(pair.primary.address))) - before;
      expect(waits).toBeGreaterThanOrEqual(1);
      expect(waits).toBeLessThanOrEqual(3); // one WAIT out and one queued behind it, not thirty
      expect(store.unreplicated()).toEqual([]);
      expect(store.events).toContainEqual({ kind: 'replicas', node: 'primary', count: 1, previous: undefined });
      const replica = new Redis(urlOf(pair.replica.address));
      expect(await replica.mget(...keys)).toEqual(Array(30).fill('v1'));
      replica.disconnect();
    } finally {
      await store.close();
    }
  });

  it('H9: wait a bounded time for a replica that stops answering, then succeed and report the write as unreplicated', async () => {
    const store = await storeOn(urlOf(pair.primary.address), 200);
    const k = key();
    try {
      await store.kv.replicated.setIfAbsent(k, 'v1', 60_000); // the replica is known to be there
      pair.replica.freeze(); // connected, but acknowledges nothing (a partition)
      const written = await Promise.all([
        store.kv.replicated.replaceIfPrefix(k, 'v1', 'v2'),
        store.kv.replicated.swap(key(), 'x', 60_000),
        store.kv.replicated.setIfAbsent(key(), 'y', 60_000),
      ]);
      expect(written).toEqual([true, null, true]);
      expect(await store.kv.get(k)).toBe('v2');
      // One report per write; the three share one WAIT, so the order they are reported in is not theirs.
      const byOperation = (a: { operation: string }, b: { operation: string }) => a.operation.localeCompare(b.operation);
      expect([...store.unreplicated()].sort(byOperation)).toEqual([
        { kind: 'unreplicated', reason: 'timeout', operation: 'replaceIfPrefix' },
        { kind: 'unreplicated', reason: 'timeout', operation: 'setIfAbsent' },
        { kind: 'unreplicated', reason: 'timeout', operation: 'swap' },
      ]);
    } finally {
      pair.replica.resume();
      await store.close();
    }
    await pair.inSync();
  });

  it('H9: do not wait where the primary has no replica, and report the write as unreplicated', async () => {
    const alone: OwnRedis = await startOwnRedis();
    const store = await storeOn(alone.url);
    try {
      expect(await store.kv.replicated.setIfAbsent(key(), 'v', 60_000)).toBe(true);
      expect(await waitCalls(alone.url)).toBe(0);
      expect(store.events).toEqual([
        { kind: 'replicas', node: 'primary', count: 0, previous: undefined },
        { kind: 'unreplicated', reason: 'no_replica', operation: 'setIfAbsent' },
      ]);
    } finally {
      await store.close();
      await alone.stop();
    }
  });
});
