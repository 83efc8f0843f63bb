// The Redis client for each mode (one server, Sentinel, Cluster), tuned to fail fast: during an
// outage or a failover a request gets an answer (a 503 page) in about a second instead of hanging
// through ioredis's default 20 retries (10 s with v5, 73 s with v6), and the client keeps
// reconnecting in the background, so the app recovers without a restart. The command timeout
// comes from REDIS_COMMAND_TIMEOUT_MS (default 1 s); the test harness raises it, so on a machine
// busy with other work its tests run slower instead of meeting a 503.
// - Sentinel: ioredis asks the sentinels for the primary, and again on every reconnect (a killed
//   primary drops the connection; a graceful failover has the sentinels close it). A server that
//   answers role:slave is refused and the next sentinel asked. Not ioredis's failoverDetector: its
//   disconnect on +switch-master, arriving while the client is already reconnecting, ends the
//   client for good ("Connection is closed" on every command until a restart; seen in the tests).
// - Cluster: ioredis learns the slots from any listed node and follows MOVED/ASK; reads go to
//   primaries only (a replica may lag behind a refresh that just rotated a token). While the
//   cluster client is not connected, commands fail at once instead of queueing: its offline queue
//   has no bound (all nodes down, a request would wait for them to return). Connections opened for
//   one job wait for the cluster (bounded: readyWithin) before their first command.
// - READONLY (a write reached a server that was demoted to replica after a failover): reconnect,
//   which finds the current primary, and send the command again.
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
}

/** TLS to the servers: `ca` (PEM) when their certificates come from a CA Node does not already trust. */
export interface RedisTls {
  readonly ca?: string;
}

/** Which Redis, in which mode; built by config/redis-settings.ts. `tls` undefined: plain TCP. */
export type RedisSettings = { readonly username: string | undefined; readonly password: string | undefined; readonly tls?: RedisTls } & (
  | { readonly mode: 'single'; readonly url: string }
  | { readonly mode: 'sentinel'; readonly sentinels: readonly RedisEndpoint[]; readonly name: string; readonly sentinelPassword: string | undefined }
  | { readonly mode: 'cluster'; readonly nodes: readonly RedisEndpoint[] }
);

/** A client for any mode: both kinds take the same commands. */
export type RedisClient = Redis | Cluster;

/** One server at `url`, no separate credentials (tests, the sandbox's local Redis). */
export const oneServer = (url: string): RedisSettings => ({ mode: 'single', url, username: undefined, password: undefined });

const COMMAND_TIMEOUT_MS = 1000;

// No auto-pipelining (ioredis's enableAutoPipelining): ioredis already sends a command without
// waiting for the answers before it, so reads issued together still share one round trip; what
// auto-pipelining adds is a pipeline object and a setImmediate per batch, which cost more than the
// socket writes they save here: without it a page takes 15 % fewer instructions and the app serves
// 9-16 % more pages a second (decision 013).
const failFast = (settings: RedisSettings, commandTimeout: number): RedisOptions => ({
  username: settings.username,
  password: settings.password,
  // Verified against Node's CAs or REDIS_TLS_CA_FILE's; a copy, since the TLS layer may add to it.
  ...(settings.tls ? { tls: { ...settings.tls } } : {}),
  commandTimeout,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
});

const backOff = (times: number) => Math.min(times * 100, 1000);

/** A new client for `settings`; `overrides` tune it (the command timeout above all). */
export function connectRedis(settings: RedisSettings, overrides: RedisOptions = {}): RedisClient {
  const timeout = overrides.commandTimeout ?? COMMAND_TIMEOUT_MS;
  switch (settings.mode) {
    case 'single':
      return new Redis(settings.url, { ...failFast(settings, timeout), retryStrategy: backOff, ...overrides });
    case 'sentinel':
      return new Redis({
        ...failFast(settings, timeout),
        retryStrategy: backOff,
        sentinels: settings.sentinels.map(({ host, port }) => ({ host, port })),
        name: settings.name,
        sentinelPassword: settings.sentinelPassword,
        // REDIS_TLS covers both hops: to the sentinels, and to the primary they name.
        ...(settings.tls ? { sentinelTLS: { ...settings.tls }, enableTLSForSentinelMode: true } : {}),
        sentinelCommandTimeout: timeout,
        sentinelRetryStrategy: backOff,
        ...overrides,
      });
    case 'cluster':
      return new Cluster(
        settings.nodes.map(({ host, port }) => ({ host, port })),
        {
          redisOptions: { ...failFast(settings, timeout), ...overrides },
          enableOfflineQueue: false,
          scaleReads: 'master',
          clusterRetryStrategy: backOff,
          // A command for a node that is gone is retried after a slot refresh, but only briefly:
          // 5 tries 100 ms apart, then it fails like any command during an outage.
          retryDelayOnFailover: 100,
          retryDelayOnClusterDown: 100,
          retryDelayOnTryAgain: 100,
          maxRedirections: 5,
          slotsRefreshTimeout: timeout,
        },
      );
  }
}

/**
 * Another connection like `client` (for a cluster, another set of connections, one per node) for
 * one job only: a subscriber, or writes that WAIT blocks.
 */
export function openDedicated(client: Redis, options?: RedisOptions): Redis;
export function openDedicated(client: Cluster, options?: RedisOptions, clusterOptions?: ClusterOptions): Cluster;
export function openDedicated(client: RedisClient, options?: RedisOptions): RedisClient;
export function openDedicated(client: RedisClient, options: RedisOptions = {}, clusterOptions: ClusterOptions = {}): RedisClient {
  if (client instanceof Cluster) return client.duplicate([], { ...clusterOptions, redisOptions: { ...client.options.redisOptions, ...options } });
  return client.duplicate(options);
}

/** The app's client: connectRedis, logging when Redis goes away and comes back (once each). */
export function createRedis(settings: RedisSettings, logger: Logger, options: { commandTimeoutMs?: number } = {}): RedisClient {
  const redis = connectRedis(settings, options.commandTimeoutMs === undefined ? {} : { commandTimeout: options.commandTimeoutMs });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) logger.error({ err: { type: err.name, message: err.message }, redis: describeRedis(settings) }, 'redis unavailable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ redis: describeRedis(settings) }, 'redis available again');
    down = false;
  });
  return redis;
}

const nextReady = new WeakMap<RedisClient, Promise<void>>();

/** Resolves once `redis` is connected (and, for a cluster, knows its slots); one listener however many wait. */
export function redisReady(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  let ready = nextReady.get(redis);
  if (!ready) {
    ready = new Promise((resolve) =>
      redis.once('ready', () => {
        nextReady.delete(redis);
        resolve();
      }),
    );
    nextReady.set(redis, ready);
  }
  return ready;
}

/**
 * Ends a client: lets one still connecting finish (ended mid-connect, its socket, and the process,
 * stay open until the connect timeout), then QUIT, as the app's shutdown does. A client already
 * ended is left alone.
 */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') return; // already closed: disconnect() would only arm another reconnect
  if (redis.status === 'connecting' || redis.status === 'connect') {
    await new Promise<void>((resolve) => {
      for (const event of ['ready', 'end', 'reconnecting']) redis.once(event, () => resolve());
    });
  }
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}

/** How long one command of `redis` may take (its commandTimeout). */
export function commandTimeoutOf(redis: RedisClient): number {
  return (redis instanceof Cluster ? redis.options.redisOptions?.commandTimeout : redis.options.commandTimeout) ?? COMMAND_TIMEOUT_MS;
}

/** redisReady, or a rejection after `ms`: for a cluster client, which does not queue commands while connecting. */
export async function readyWithin(redis: RedisClient, ms = commandTimeoutOf(redis)): Promise<void> {
  if (redis.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redisReady(redis),
      new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`Redis not connected within ${ms} ms (${redis.status})`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** How the mode reads in a log line: never the URL (it may carry a password). */
export function describeRedis(settings: RedisSettings): string {
  const hostPort = ({ host, port }: RedisEndpoint) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
  const tls = settings.tls ? ` over TLS${settings.tls.ca ? ' (REDIS_TLS_CA_FILE)' : ''}` : '';
  switch (settings.mode) {
    case 'single':
      return (URL.canParse(settings.url) ? `one server at ${new URL(settings.url).host}` : 'one server') + tls;
    case 'sentinel':
      return `Sentinel "${settings.name}" via ${settings.sentinels.map(hostPort).join(', ')}${tls}`;
    case 'cluster':
      return `Cluster via ${settings.nodes.map(hostPort).join(', ')}${tls}`;
  }
}

/** True when something answers PING at `url` within a short time; never throws. */
export async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
