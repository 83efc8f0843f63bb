// The storage operations the app needs beyond the session blob, each atomic on its own.
// Redis in every real deployment; an in-process map only for the sandbox demo without Redis.

export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Write and return the value it replaced, in one step (SET … GET). Fails if the key holds a non-string. */
  swap(key: string, value: string, ttlMs: number): Promise<string | null>;
  /** Read and delete in one step (GETDEL): what makes a value single-use. */
  take(key: string): Promise<string | null>;
  del(key: string): Promise<void>;
  /** SET NX PX: true when this call created the key (a lock acquired). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Delete only when the value is still `expected` (a lock released by its holder only). */
  delIfEquals(key: string, expected: string): Promise<boolean>;
  /** Replace only when the value still starts with `expectedPrefix`, keeping the key's expiry. */
  replaceIfPrefix(key: string, expectedPrefix: string, value: string): Promise<boolean>;
  /** Delete only when the value still starts with `expectedPrefix`. */
  delIfPrefix(key: string, expectedPrefix: string): Promise<boolean>;
  publish(channel: string, message: string): Promise<void>;
  /**
   * Calls `onMessage` for each message on `channel` until the returned function is called, and
   * with '' when messages may have been missed (the subscription was re-established): check again.
   */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
  /** Prepend to a list, keep its newest `max` items, and (re)set its expiry; returns the items it dropped. */
  pushBounded(key: string, value: string, max: number, ttlMs: number): Promise<string[]>;
  /** A list's items, newest first. */
  list(key: string): Promise<string[]>;
  /** Add or move `member` in a sorted set, due at `atMs` (ZADD): a durable schedule. */
  schedule(key: string, member: string, atMs: number): Promise<void>;
  /** Up to `limit` members due at or before `upToMs`, soonest first (ZRANGEBYSCORE). */
  due(key: string, upToMs: number, limit: number): Promise<string[]>;
  /** Remove `member` from the schedule (ZREM). */
  unschedule(key: string, member: string): Promise<void>;
  /** True when the store answers. */
  ping(): Promise<boolean>;
  /**
   * The same writes for what a failover must not lose (refresh tokens, the refresh lock): each
   * returns once a replica has acknowledged it, or after a bounded wait, which is reported rather
   * than failed (docs/decisions/011-rotated-tokens-through-failover.md).
   */
  readonly replicated: Pick<KeyValueStore, 'swap' | 'setIfAbsent' | 'replaceIfPrefix'>;
}
