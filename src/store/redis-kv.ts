import type Redis from 'ioredis';
import type { KeyValueStore } from './kv';

const DEL_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const REPLACE_IF_PREFIX = `local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, string.len(ARGV[1])) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0`;

/**
 * `redis` serves commands; a duplicate connection is opened lazily for subscriptions, since a
 * connection in subscriber mode can run nothing else.
 */
export function createRedisStore(redis: Redis): KeyValueStore & { close(): Promise<void> } {
  let subscriber: Redis | undefined;
  const listeners = new Map<string, Set<(message: string) => void>>();

  function subscriberConnection(): Redis {
    if (!subscriber) {
      subscriber = redis.duplicate();
      subscriber.on('error', () => undefined); // the command connection reports outages
      subscriber.on('message', (channel: string, message: string) => {
        for (const listener of listeners.get(channel) ?? []) listener(message);
      });
    }
    return subscriber;
  }

  return {
    get: (key) => redis.get(key),
    async set(key, value, ttlMs) {
      await redis.set(key, value, 'PX', ttlMs);
    },
    take: (key) => redis.getdel(key),
    async del(key) {
      await redis.del(key);
    },
    async setIfAbsent(key, value, ttlMs) {
      return (await redis.set(key, value, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async delIfEquals(key, expected) {
      return (await redis.eval(DEL_IF_EQUALS, 1, key, expected)) === 1;
    },
    async replaceIfPrefix(key, expectedPrefix, value) {
      return (await redis.eval(REPLACE_IF_PREFIX, 1, key, expectedPrefix, value)) === 1;
    },
    async publish(channel, message) {
      await redis.publish(channel, message);
    },
    async subscribe(channel, onMessage) {
      const connection = subscriberConnection();
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        await connection.subscribe(channel);
      }
      set.add(onMessage);
      return async () => {
        const current = listeners.get(channel);
        current?.delete(onMessage);
        if (current && current.size === 0) {
          listeners.delete(channel);
          await connection.unsubscribe(channel).catch(() => undefined);
        }
      };
    },
    async pushBounded(key, value, max, ttlMs) {
      await redis.multi().lpush(key, value).ltrim(key, 0, max - 1).pexpire(key, ttlMs).exec();
    },
    list: (key) => redis.lrange(key, 0, -1),
    async ping() {
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      subscriber?.disconnect();
    },
  };
}
