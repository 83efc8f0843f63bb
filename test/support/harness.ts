// A real app on a real Redis, talking over HTTP to a real emulator: the one way the tests build
// them (the push tests and the browser tests too, listening on a real port). Log lines are
// captured so tests can assert that no secret was ever written.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import request from 'supertest';
import { parse } from 'node-html-parser';
import { consent, type ConsentChoice } from './forms';
import { createApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { startEmulator } from '../../src/emulator';
import {
  SANDBOX_CLIENT_ID,
  SANDBOX_CLIENT_SECRET,
  type EmulatorOptions,
  type RunningEmulator,
} from '../../src/emulator/types';
import { createRedisStore } from '../../src/store/redis-kv';
import { closeRedis, createRedis, redisReady, type RedisClient } from '../../src/store/redis';
import type { KeyValueStore } from '../../src/store/kv';
import { createLogger } from '../../src/web/logging';
import type { Connection } from '../../src/connections/connection';
import { createTokenStore, type TokenStore } from '../../src/connections/token-store';
import { applicationKey } from '../../src/connections/identity';
import { sessionCookie, sessionData } from './stored';
import type { RateLimits } from '../../src/web/rate-limit';
import { createMetrics, type Metrics } from '../../src/metrics/registry';
import { reportReplication } from '../../src/metrics/redis';
import { quotaHoldKey } from '../../src/cronofy/quota-hold';
import type { RevocationEvent } from '../../src/revocation/revoker';
import type { CookieJar } from './forms';

export const APP_BASE_URL = 'http://app.test';
export const TEST_SESSION_SECRET = 'test-only-session-secret-0123456789abcdef';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Harness {
  app: Express;
  /** Where the app listens, http://localhost:<port>, when options.listen asked for a port. */
  url: string | undefined;
  emulator: RunningEmulator;
  redis: RedisClient;
  kv: KeyValueStore;
  /** The app's token store, over the same Redis with the same key: read tokens through it. */
  tokens: TokenStore;
  config: Config;
  logs: string[];
  agent(): ReturnType<typeof request.agent>;
  /** Lifts the shared hold a 429 from this suite's emulator put on every instance. */
  clearQuotaHold(): Promise<void>;
  /** Another app instance sharing the same Redis and emulator (a second process, in effect). */
  secondInstance(options?: { revocationWorker?: boolean }): Express;
  /** Every instance's Redis client connected (a cluster client fails commands until it is). */
  ready(): Promise<void>;
  /** Resolves with the next queued-revocation attempt any instance's worker settles. */
  nextRevocation(): Promise<RevocationEvent>;
  /** Resolves once the first instance's worker has done a whole round (queue, lapsed records) begun after this call. */
  workerRound(): Promise<void>;
  /** Stops the first instance's revocation worker (as if that process ended). */
  stopFirstWorker(): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  emulator?: EmulatorOptions;
  env?: Record<string, string>;
  now?: () => number;
  rateLimits?: RateLimits;
  /** Another Redis than REDIS_URL (the outage tests start their own). */
  redisUrl?: string;
  /** Another Redis mode: REDIS_SENTINELS and REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES (instead of REDIS_URL). */
  redisEnv?: Record<string, string>;
  /** The app's metrics (default: a registry of its own per app). */
  metrics?: Metrics;
  /** false: the first instance runs no revocation worker. */
  revocationWorker?: boolean;
  /**
   * The app also listens on a real port of 127.0.0.1, opened before the emulator starts so its
   * redirect URIs can name it; `url` says where. As APP_BASE_URL: the origin a browser uses. As
   * PUSH_BASE_URL: where the emulator delivers push notifications.
   */
  listen?: { appBaseUrl?: boolean; pushBaseUrl?: boolean };
  /** Sandbox mode's banner and links to the emulator's playground on every page (the demo as people see it). */
  sandbox?: boolean;
}

/** A server on a free port of 127.0.0.1 that answers 503 until it is given the app. */
async function listening(): Promise<{ url: string; serve(app: Express): void; close(): Promise<void> }> {
  const slot: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const server: Server = createServer((req, res) => {
    if (slot.handler) return slot.handler(req, res);
    res.writeHead(503).end('starting');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    serve: (app) => void (slot.handler = app),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Tests give Redis commands 10 s (the app's default is 1 s): a busy machine slows them, not fails them. */
export const TEST_REDIS_COMMAND_TIMEOUT_MS = 10_000;

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const server = options.listen ? await listening() : undefined;
  const served = {
    ...(options.listen?.appBaseUrl ? { APP_BASE_URL: server?.url } : {}),
    ...(options.listen?.pushBaseUrl ? { PUSH_BASE_URL: server?.url } : {}),
  };
  const baseUrl = served.APP_BASE_URL ?? options.env?.APP_BASE_URL ?? APP_BASE_URL;
  // A client id of its own per harness: connection ids derive from the application (client id and
  // Cronofy URL) and the account, and records from earlier runs stay in Redis for their lifetime, so
  // an emulator on a reused port would otherwise find its seeded accounts already connected.
  const clientId = `${SANDBOX_CLIENT_ID}_${randomBytes(6).toString('hex')}`;
  const emulator = await startEmulator({
    clientId,
    clientSecret: SANDBOX_CLIENT_SECRET,
    applicationName: 'Cronofy Connect demo',
    rateLimit: false,
    redirectUris: [`${baseUrl}/oauth/callback`, `${baseUrl}/permissions/callback`],
    ...options.emulator,
  });
  const config = loadConfig({
    APP_BASE_URL,
    CRONOFY_CLIENT_ID: options.emulator?.clientId ?? clientId,
    CRONOFY_CLIENT_SECRET: SANDBOX_CLIENT_SECRET,
    CRONOFY_APP_URL: emulator.url,
    CRONOFY_API_URL: emulator.url,
    ...(options.redisEnv ?? { REDIS_URL: options.redisUrl ?? REDIS_URL }),
    SESSION_SECRET: TEST_SESSION_SECRET,
    // Off unless a test turns it on: most tests count the calls each page makes to Cronofy.
    CRONOFY_CACHE_SECONDS: '0',
    // Far past the defaults (1 s, 10 s): on a machine busy with other work a Redis command or a
    // page's calls to the emulator can wait their turn for seconds, and the test should run slower,
    // not meet a 503. The tests of these deadlines set their own.
    REDIS_COMMAND_TIMEOUT_MS: String(TEST_REDIS_COMMAND_TIMEOUT_MS),
    CRONOFY_TIMEOUT_MS: '60000',
    LOG_LEVEL: 'debug',
    ...options.env,
    ...served,
  });
  const logs: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logs.push(line) });
  const connections: RedisClient[] = [];
  const stores: { close(): Promise<void> }[] = [];

  const workers: AbortController[] = [];
  let waiters: ((event: RevocationEvent) => void)[] = [];
  const onSettled = (event: RevocationEvent) => {
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake(event);
  };
  let roundWaiters: (() => void)[] = [];
  const onFirstTick = () => {
    const woken = roundWaiters;
    roundWaiters = [];
    for (const wake of woken) wake();
  };
  const build = (worker = true, onTick?: () => void): { app: Express; redis: RedisClient; kv: KeyValueStore } => {
    const redis = createRedis(config.redis!, logger, { commandTimeoutMs: config.redisCommandTimeoutMs });
    // As server.ts wires it: logged, and counted in the app's metrics when the test gives them.
    const store = createRedisStore(redis, { onReplication: reportReplication(options.metrics ?? createMetrics(), logger) });
    connections.push(redis);
    stores.push(store);
    const rateLimits = options.rateLimits ?? { connectPerMinute: 100_000, postPerMinute: 100_000, cronofyPagesPerMinute: 100_000, prefix: `test-rl:${suiteId}:` };
    const stop = new AbortController();
    workers.push(stop);
    if (!worker) stop.abort();
    const revocation = { pollMs: 50, retryBaseMs: 25, onSettled, onTick, signal: stop.signal };
    const sandbox = options.sandbox ? { emulatorUrl: emulator.url, memoryStore: false } : undefined;
    return { app: createApp({ config, logger, kv: store, redis, now: options.now, rateLimits, metrics: options.metrics, revocation, sandbox }), redis, kv: store };
  };
  const suiteId = Math.random().toString(36).slice(2);
  const first = build(options.revocationWorker !== false, onFirstTick);
  // Connected before the first request, so no test's first command waits out the connect.
  await redisReady(first.redis);
  server?.serve(first.app);

  return {
    ...first,
    url: server?.url,
    tokens: createTokenStore({
      kv: first.kv,
      namespace: applicationKey({ clientId: config.cronofy.clientId, appUrl: config.cronofy.appUrl, apiUrl: config.cronofy.apiUrl }),
      encryptionKey: config.tokenEncryptionKey,
    }),
    emulator,
    config,
    logs,
    agent: () => request.agent(first.app),
    clearQuotaHold: async () => {
      await first.redis.del(quotaHoldKey(config.cronofy.dataCenter, emulator.url, config.cronofy.clientId));
    },
    secondInstance: (instance = {}) => build(instance.revocationWorker !== false).app,
    ready: async () => void (await Promise.all(connections.map(redisReady))),
    nextRevocation: () => new Promise<RevocationEvent>((resolve) => waiters.push(resolve)),
    // The round ending first may have begun before the call; the one after it began after.
    async workerRound() {
      for (let ends = 0; ends < 2; ends++) await new Promise<void>((resolve) => roundWaiters.push(resolve));
    },
    stopFirstWorker: () => workers[0]?.abort(),
    async close() {
      await server?.close();
      for (const worker of workers) worker.abort();
      for (const store of stores) await store.close();
      // Each client is let finish connecting, then QUITs, as the app's own shutdown does: ending a
      // client still connecting (a second instance made a moment ago) left its socket open until
      // the 2 s connect timeout, and the jest worker could not exit ("A worker process has failed
      // to exit gracefully").
      await Promise.all(connections.map(closeRedis));
      await emulator.close();
    },
  };
}

export { consent, submitForm, type ConsentChoice } from './forms';

/** Path and query of a URL, for supertest. */
export const pathOf = (url: URL): string => url.pathname + url.search;

/** Runs Individual (or Organization) Connect to the end; returns the callback response. */
export async function connectThrough(
  agent: ReturnType<typeof request.agent>,
  options: ConsentChoice & { kind?: 'individual' | 'organization'; browser?: CookieJar; separateAccount?: boolean } = {},
) {
  const start = await agent.get(`/connect/${options.kind ?? 'individual'}`).expect(302);
  const authorize = new URL(start.headers.location as string);
  if (options.separateAccount) authorize.searchParams.set('avoid_linking', 'true'); // the emulator: another person
  const back = await consent(authorize.toString(), options, options.browser);
  return agent.get(pathOf(back));
}

/**
 * A browser connected to a Cronofy account of its own (avoid_linking), with the emulator's record of
 * requests cleared: no other test's revoke queued for a shared account can end its grant meanwhile.
 */
export async function connectedAgent(h: Harness): Promise<ReturnType<typeof request.agent>> {
  const agent = h.agent();
  const res = await connectThrough(agent, { separateAccount: true });
  if (res.status !== 302) throw new Error(`connecting answered ${res.status}`);
  h.emulator.control.clearRequests();
  return agent;
}

/** The CSRF token of the first form on a page the agent loads. */
export async function csrfTokenFrom(agent: ReturnType<typeof request.agent>, path: string): Promise<string> {
  const page = await agent.get(path).expect(200);
  const token = parse(page.text).querySelector('input[name="_csrf"]')?.getAttribute('value');
  if (!token) throw new Error(`no CSRF token on ${path}`);
  return token;
}

/** The token records of the session behind a response's Set-Cookie, read through the token store. */
export async function connectionsOf(h: Harness, setCookie: unknown): Promise<Connection[]> {
  const session = await sessionData(h.redis, sessionCookie(setCookie as string[] | undefined));
  const records = await Promise.all(Object.values(session?.connections ?? {}).map((id) => h.tokens.get(id)));
  return records.filter((stored) => stored !== null).map((stored) => stored.connection);
}
