// The key-value store on Redis, the same in every mode (one server, Sentinel, Cluster):
// - every operation touches one key, and every script declares it (numberOfKeys: 1), so in a
//   cluster each runs on the node that owns its key; no operation lists or scans keys;
// - pub/sub: redis-pubsub.ts; the writes a failover must not lose: replicated-writes.ts;
// - every Redis failure leaves this store as a StorageError (see ./errors.ts).
import type { KeyValueStore } from './kv';
import { guarded } from './errors';
import { CHANNEL_PREFIX, createPubSub } from './redis-pubsub';
import type { RedisClient } from './redis';
import { createReplicatedWrites, type ReplicationEvent } from './replicated-writes';

const DEL_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const DEL_IF_PREFIX = `local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, string.len(ARGV[1])) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const PUSH_BOUNDED = `redis.call('LPUSH', KEYS[1], ARGV[1])
local dropped = redis.call('LRANGE', KEYS[1], tonumber(ARGV[2]), -1)
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return dropped`;
const REPLACE_IF_PREFIX = `local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, string.len(ARGV[1])) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0`;

/** The scripts as commands of the client (ioredis defineCommand): sent by SHA, loaded once on a miss. */
interface ScriptCommands {
  ccDelIfEquals(key: string, expected: string): Promise<number>;
  ccDelIfPrefix(key: string, expectedPrefix: string): Promise<number>;
  ccReplaceIfPrefix(key: string, expectedPrefix: string, value: string): Promise<number>;
  ccPushBounded(key: string, value: string, max: string, ttlMs: string): Promise<string[]>;
}

function withScripts(redis: RedisClient): RedisClient & ScriptCommands {
  redis.defineCommand('ccDelIfEquals', { numberOfKeys: 1, lua: DEL_IF_EQUALS });
  redis.defineCommand('ccDelIfPrefix', { numberOfKeys: 1, lua: DEL_IF_PREFIX });
  redis.defineCommand('ccReplaceIfPrefix', { numberOfKeys: 1, lua: REPLACE_IF_PREFIX });
  redis.defineCommand('ccPushBounded', { numberOfKeys: 1, lua: PUSH_BOUNDED });
  return redis as RedisClient & ScriptCommands;
}

export interface RedisStoreOptions {
  /** Longest wait for a replica to acknowledge a replicated write; default 500 ms. */
  replicaWaitMs?: number;
  /** Told about replication: unacknowledged writes, replica counts. */
  onReplication?: (event: ReplicationEvent) => void;
}

/** The store over `client`; close() ends the connections it opened of its own (not `client`). */
export function createRedisStore(client: RedisClient, options: RedisStoreOptions = {}): KeyValueStore & { close(): Promise<void> } {
  const redis = withScripts(client);
  const pubsub = createPubSub(client);
  const replicated = createReplicatedWrites(client, { waitMs: options.replicaWaitMs ?? 500, report: options.onReplication });
  const durable = withScripts(replicated.client);

  return {
    get: (key) => guarded('kv.get', () => redis.get(key)),
    async set(key, value, ttlMs) {
      await guarded('kv.set', () => redis.set(key, value, 'PX', ttlMs));
    },
    take: (key) => guarded('kv.take', () => redis.getdel(key)),
    swap: (key, value, ttlMs) => guarded('kv.swap', () => redis.set(key, value, 'PX', ttlMs, 'GET')),
    async del(key) {
      await guarded('kv.del', () => redis.del(key));
    },
    async setIfAbsent(key, value, ttlMs) {
      return (await guarded('kv.setIfAbsent', () => redis.set(key, value, 'PX', ttlMs, 'NX'))) === 'OK';
    },
    async delIfEquals(key, expected) {
      return (await guarded('kv.delIfEquals', () => redis.ccDelIfEquals(key, expected))) === 1;
    },
    async replaceIfPrefix(key, expectedPrefix, value) {
      return (await guarded('kv.replaceIfPrefix', () => redis.ccReplaceIfPrefix(key, expectedPrefix, value))) === 1;
    },
    async delIfPrefix(key, expectedPrefix) {
      return (await guarded('kv.delIfPrefix', () => redis.ccDelIfPrefix(key, expectedPrefix))) === 1;
    },
    async publish(channel, message) {
      await guarded('kv.publish', () => pubsub.publish(channel, message));
    },
    async subscribe(channel, onMessage) {
      if (!channel.startsWith(CHANNEL_PREFIX)) throw new Error(`channels must start with ${CHANNEL_PREFIX}`);
      const stop = await guarded('kv.subscribe', () => pubsub.subscribe(channel, onMessage));
      return async () => stop();
    },
    pushBounded: (key, value, max, ttlMs) => guarded('kv.pushBounded', () => redis.ccPushBounded(key, value, String(max), String(ttlMs))),
    list: (key) => guarded('kv.list', () => redis.lrange(key, 0, -1)),
    async schedule(key, member, atMs) {
      await guarded('kv.schedule', () => redis.zadd(key, atMs, member));
    },
    due: (key, upToMs, limit) => guarded('kv.due', () => redis.zrangebyscore(key, '-inf', upToMs, 'LIMIT', 0, limit)),
    async unschedule(key, member) {
      await guarded('kv.unschedule', () => redis.zrem(key, member));
    },
    async ping() {
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    replicated: {
      swap: (key, value, ttlMs) =>
        guarded('kv.replicated.swap', () => replicated.write('swap', key, () => durable.set(key, value, 'PX', ttlMs, 'GET'))),
      async setIfAbsent(key, value, ttlMs) {
        const set = await guarded('kv.replicated.setIfAbsent', () => replicated.write('setIfAbsent', key, () => durable.set(key, value, 'PX', ttlMs, 'NX')));
        return set === 'OK';
      },
      async replaceIfPrefix(key, expectedPrefix, value) {
        const replaced = await guarded('kv.replicated.replaceIfPrefix', () =>
          replicated.write('replaceIfPrefix', key, () => durable.ccReplaceIfPrefix(key, expectedPrefix, value)),
        );
        return replaced === 1;
      },
    },
    /** Ends the connections the store opened of its own (each let finish connecting, then QUIT). */
    async close() {
      await Promise.all([pubsub.close(), replicated.close()]);
    },
  };
}
