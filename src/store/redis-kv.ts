import type Redis from 'ioredis';
import type { KeyValueStore } from './kv';
import { guarded } from './errors';

const DEL_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const DEL_IF_PREFIX = `local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, string.len(ARGV[1])) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const PUSH_BOUNDED = `redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;
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
  ccPushBounded(key: string, value: string, max: string, ttlMs: string): Promise<number>;
}

function withScripts(redis: Redis): Redis & ScriptCommands {
  redis.defineCommand('ccDelIfEquals', { numberOfKeys: 1, lua: DEL_IF_EQUALS });
  redis.defineCommand('ccDelIfPrefix', { numberOfKeys: 1, lua: DEL_IF_PREFIX });
  redis.defineCommand('ccReplaceIfPrefix', { numberOfKeys: 1, lua: REPLACE_IF_PREFIX });
  redis.defineCommand('ccPushBounded', { numberOfKeys: 1, lua: PUSH_BOUNDED });
  return redis as Redis & ScriptCommands;
}

/** Every channel the app publishes on starts with this; one pattern subscription covers them all. */
export const CHANNEL_PREFIX = 'cronofy-connect:';

/**
 * `redis` serves commands; a duplicate connection, opened on first use, holds one pattern
 * subscription (PSUBSCRIBE cronofy-connect:*) for the life of the process, and messages are handed
 * to local listeners by channel. Subscribing and unsubscribing per channel would toggle the
 * connection in and out of subscriber mode under load, and ioredis then refuses commands
 * ("Connection in subscriber mode"): the refresh-storm benchmark across two instances hit that.
 * Every Redis failure leaves this store as a StorageError (see ./errors.ts).
 */
export function createRedisStore(client: Redis): KeyValueStore & { close(): Promise<void> } {
  const redis = withScripts(client);
  let subscribed: Promise<unknown> | undefined;
  let subscriber: Redis | undefined;
  const listeners = new Map<string, Set<(message: string) => void>>();

  function subscription(): Promise<unknown> {
    if (!subscribed) {
      const connection = redis.duplicate();
      subscriber = connection;
      connection.on('error', () => undefined); // the command connection reports outages
      connection.on('pmessage', (_pattern: string, channel: string, message: string) => {
        for (const listener of listeners.get(channel) ?? []) listener(message);
      });
      subscribed = connection.psubscribe(`${CHANNEL_PREFIX}*`).catch((err: unknown) => {
        subscribed = undefined; // try again on the next subscribe
        connection.disconnect();
        throw err;
      });
    }
    return subscribed;
  }

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
      await guarded('kv.publish', () => redis.publish(channel, message));
    },
    async subscribe(channel, onMessage) {
      if (!channel.startsWith(CHANNEL_PREFIX)) throw new Error(`channels must start with ${CHANNEL_PREFIX}`);
      await guarded('kv.subscribe', subscription);
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(onMessage);
      return async () => {
        set.delete(onMessage);
        if (set.size === 0 && listeners.get(channel) === set) listeners.delete(channel);
      };
    },
    async pushBounded(key, value, max, ttlMs) {
      await guarded('kv.pushBounded', () => redis.ccPushBounded(key, value, String(max), String(ttlMs)));
    },
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
    /**
     * Ends the subscriber connection with QUIT once it has connected: one ended while still
     * connecting keeps its socket (and the process) open until ioredis's connect timeout.
     */
    async close() {
      const connection = subscriber;
      if (!connection) return;
      await subscribed?.catch(() => undefined);
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
