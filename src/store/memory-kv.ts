import { EventEmitter } from 'node:events';
import type { KeyValueStore } from './kv';

/** One process only, forgets everything on restart: for the sandbox demo when no Redis answers. */
export function createMemoryStore(now: () => number = Date.now): KeyValueStore {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const lists = new Map<string, { items: string[]; expiresAt: number }>();
  const liveList = (key: string): string[] => {
    const list = lists.get(key);
    return !list || list.expiresAt <= now() ? [] : list.items;
  };
  const schedules = new Map<string, Map<string, number>>();
  const bus = new EventEmitter();
  bus.setMaxListeners(0);

  const read = (key: string): string | null => {
    const entry = entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return null;
    }
    return entry.value;
  };

  const store: KeyValueStore = {
    async get(key) {
      return read(key);
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: now() + ttlMs });
    },
    async swap(key, value, ttlMs) {
      const previous = read(key);
      entries.set(key, { value, expiresAt: now() + ttlMs });
      return previous;
    },
    async take(key) {
      const value = read(key);
      entries.delete(key);
      return value;
    },
    async del(key) {
      entries.delete(key);
    },
    async setIfAbsent(key, value, ttlMs) {
      if (read(key) !== null) return false;
      entries.set(key, { value, expiresAt: now() + ttlMs });
      return true;
    },
    async delIfEquals(key, expected) {
      if (read(key) !== expected) return false;
      entries.delete(key);
      return true;
    },
    async replaceIfPrefix(key, expectedPrefix, value) {
      const current = read(key);
      const entry = entries.get(key);
      if (current === null || !entry || !current.startsWith(expectedPrefix)) return false;
      entry.value = value;
      return true;
    },
    async delIfPrefix(key, expectedPrefix) {
      const current = read(key);
      if (current === null || !current.startsWith(expectedPrefix)) return false;
      entries.delete(key);
      return true;
    },
    async publish(channel, message) {
      bus.emit(channel, message);
    },
    async subscribe(channel, onMessage) {
      bus.on(channel, onMessage);
      return async () => {
        bus.off(channel, onMessage);
      };
    },
    // Read and written in one synchronous step, so that two calls at once cannot lose an item.
    async pushBounded(key, value, max, ttlMs) {
      const all = [value, ...liveList(key)];
      lists.set(key, { items: all.slice(0, max), expiresAt: now() + ttlMs });
      return all.slice(max);
    },
    async list(key) {
      return liveList(key);
    },
    async schedule(key, member, atMs) {
      const set = schedules.get(key) ?? new Map<string, number>();
      schedules.set(key, set.set(member, atMs));
    },
    async due(key, upToMs, limit) {
      return [...(schedules.get(key) ?? new Map<string, number>())]
        .filter(([, at]) => at <= upToMs)
        .sort((a, b) => a[1] - b[1])
        .slice(0, limit)
        .map(([member]) => member);
    },
    async unschedule(key, member) {
      schedules.get(key)?.delete(member);
    },
    async ping() {
      return true;
    },
    // One process, no replicas: these writes are as durable as every other.
    get replicated() {
      return store;
    },
  };
  return store;
}
