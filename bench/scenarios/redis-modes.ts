// R: the same app on one Redis server and on a Redis Cluster of three primaries, both started here
// from redis-server on free ports (no persistence), each with two app instances (src/server.ts,
// configured only through REDIS_URL / REDIS_CLUSTER_NODES) and one emulator for both:
// - the authenticated home page, closed loop, Cluster vs one server, interleaved repetitions;
// - the refresh storm: every access token expired at the emulator, then K requests per session
//   spread over both instances; exactly one refresh per session may reach the emulator;
// - Redis memory per connected account (separate Cronofy accounts, each a full connect flow): the
//   growth of used_memory_dataset (the data, without connection buffers and the replication
//   backlog) over all primaries, per account; and on a Sentinel group (primary and replica), where
//   the replica holds a second copy.
// Self-contained (its own servers, processes and emulator), so it runs beside the other scenarios.
import type http from 'node:http';
import { Cluster } from 'ioredis';
import Redis from 'ioredis';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from '../../src/emulator/types';
import { SESSION_PREFIX, sessionCookieName } from '../../src/session';
import { startOwnRedis } from '../../test/support/redis-server';
import { startCluster, startSentinelGroup } from '../../test/support/redis-topologies';
import { formSubmission } from '../../test/support/forms';
import { freePort } from '../../test/support/ports';
import { type Bench, dial, info, interleaved, type Row, type ScenarioResult } from '../lib/bench';
import { clearRequests, expireAccessTokens, isRefresh, recordedRequests } from '../lib/emulator-control';
import { cookieFrom, expectStatus, locationOf, newAgent, send } from '../lib/http';
import { closedLoop, type LoadResult } from '../lib/load';
import { startNode, waitForHttp } from '../lib/processes';
import { median, percentile, round } from '../lib/stats';
import { APP_CPU, LOAD_CPU } from '../lib/topology';

const NAME = 'R Redis modes';
const COOKIE = sessionCookieName(false);

interface Mode {
  name: string;
  env: Record<string, string>;
  /** used_memory_dataset summed over the primaries (and, separately, the replicas). */
  memory(): Promise<{ primaries: number; replicas: number }>;
  /** A client for reading keys, whatever the mode. */
  client(): Redis | Cluster;
  stop(): Promise<void>;
}

const usedMemory = async (address: string): Promise<number> => {
  const [host, port] = address.split(':');
  const redis = new Redis({ host, port: Number(port) });
  try {
    return Number(/^used_memory_dataset:(\d+)/m.exec(await redis.info('memory'))?.[1]);
  } finally {
    redis.disconnect();
  }
};

async function oneServer(): Promise<Mode> {
  const server = await startOwnRedis();
  const client = new Redis(server.url);
  return {
    name: 'one server',
    env: { REDIS_URL: server.url },
    memory: async () => ({ primaries: await usedMemory(`127.0.0.1:${server.port}`), replicas: 0 }),
    client: () => client,
    stop: async () => {
      client.disconnect();
      await server.stop();
    },
  };
}

async function cluster(): Promise<Mode> {
  const started = await startCluster(3, { persist: false });
  const client = new Cluster(started.primaries.map((p) => ({ host: '127.0.0.1', port: p.port })));
  return {
    name: 'Cluster (3 primaries)',
    env: started.env,
    memory: async () => ({ primaries: (await Promise.all(started.primaries.map((p) => usedMemory(p.address)))).reduce((a, b) => a + b, 0), replicas: 0 }),
    client: () => client,
    stop: async () => {
      client.disconnect();
      await started.stop();
    },
  };
}

async function sentinel(): Promise<Mode> {
  const group = await startSentinelGroup({ persist: false });
  const [primary, replica] = group.servers;
  const client = new Redis({ host: '127.0.0.1', port: primary!.port });
  return {
    name: 'Sentinel (primary + replica)',
    env: group.env,
    memory: async () => {
      await group.inSync();
      return { primaries: await usedMemory(primary!.address), replicas: await usedMemory(replica!.address) };
    },
    client: () => client,
    stop: async () => {
      client.disconnect();
      await group.stop();
    },
  };
}

interface Instances {
  a: string;
  b: string;
  /** Error-level lines the instances logged once ready (a 503 from /readyz while starting is not one). */
  errors(): { count: number; first: string[] };
  stop(): Promise<void>;
}

/** Two app instances (A on the app's CPU, B beside the load generator, as in lib/topology.ts) on `mode`. */
async function instances(b: Bench, mode: Mode, emulatorUrl: string, ports: [number, number], count = 2): Promise<Instances> {
  const env = (port: number): Record<string, string> => ({
    NODE_ENV: 'production',
    PORT: String(port),
    APP_BASE_URL: `http://localhost:${port}`,
    SESSION_SECRET: b.top.sessionSecret,
    CRONOFY_CLIENT_ID: SANDBOX_CLIENT_ID,
    CRONOFY_CLIENT_SECRET: SANDBOX_CLIENT_SECRET,
    CRONOFY_APP_URL: emulatorUrl,
    CRONOFY_API_URL: emulatorUrl,
    RATE_LIMIT_CONNECT_PER_MINUTE: '1000000000',
    RATE_LIMIT_POST_PER_MINUTE: '1000000000',
    RATE_LIMIT_PAGES_PER_MINUTE: '1000000000',
    // Every storm's pages ask Cronofy (and so meet the expired tokens), not the 30 s read cache.
    CRONOFY_CACHE_SECONDS: '0',
    ...mode.env,
  });
  const cpus = [APP_CPU, LOAD_CPU];
  const children = ports.slice(0, count).map((port, i) => startNode(`app-${mode.name}-${i}`, 'dist/server.js', env(port), b.top.app.child.cpu === null ? null : cpus[i]!));
  // /readyz, not /healthz: a cluster client answers 503 until it has connected.
  await Promise.all(children.map((child, i) => waitForHttp(`http://127.0.0.1:${ports[i]}/readyz`, child)));
  const atStart = children.map((c) => c.errorLog().count);
  return {
    a: `http://localhost:${ports[0]}`,
    b: `http://localhost:${ports[count > 1 ? 1 : 0]}`,
    errors: () => ({
      count: children.reduce((n, c, i) => n + c.errorLog().count - atStart[i]!, 0),
      first: children.flatMap((c, i) => c.errorLog().first.slice(atStart[i])),
    }),
    stop: async () => void (await Promise.all(children.map((child) => child.stop()))),
  };
}

/** Individual Connect as a new Cronofy account (avoid_linking: the emulator's next person); returns the session cookie. */
async function connectNewAccount(appBase: string, agent: http.Agent): Promise<string> {
  const start = await send(`${appBase}/connect/individual`, { agent });
  expectStatus(start, 302, 'GET /connect/individual');
  const first = cookieFrom(start, COOKIE)!;
  const authorize = new URL(locationOf(start, appBase, 'GET /connect/individual'));
  authorize.searchParams.set('avoid_linking', 'true');
  const page = await send(authorize.toString(), { agent });
  expectStatus(page, 200, 'consent page');
  const form = formSubmission(authorize.toString(), page.body, 'Allow');
  const posted = await send(form.action.toString(), { agent, method: 'POST', body: form.body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  expectStatus(posted, 302, 'consent POST');
  const callback = await send(locationOf(posted, form.action.toString(), 'consent POST'), { agent, headers: { cookie: first } });
  expectStatus(callback, 302, 'GET /oauth/callback');
  const cookie = cookieFrom(callback, COOKIE);
  if (!cookie) throw new Error('the callback set no session cookie');
  return cookie;
}

async function connectMany(appBase: string, count: number, parallel = 10): Promise<string[]> {
  const agent = newAgent(parallel);
  const cookies: string[] = [];
  try {
    for (let i = 0; i < count; i += parallel) {
      cookies.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, () => connectNewAccount(appBase, agent)))));
    }
  } finally {
    agent.destroy();
  }
  return cookies;
}

interface StormRun {
  refreshes: number;
  failed: number;
  /** Each failure's status (or error) and the page's heading, counted. */
  failures: Record<string, number>;
  p99Ms: number;
  wallMs: number;
}

async function storm(emulatorUrl: string, app: Instances, cookies: string[], perSession: number): Promise<StormRun> {
  await expireAccessTokens(emulatorUrl);
  await clearRequests(emulatorUrl);
  const agent = newAgent(cookies.length * perSession);
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let failed = 0;
  const begin = performance.now();
  await Promise.all(
    cookies.flatMap((cookie) =>
      Array.from({ length: perSession }, async (_, i) => {
        const started = performance.now();
        const page = await send(`${i % 2 ? app.b : app.a}/calendars`, { agent, headers: { cookie } }).catch((err: Error) => err);
        if (!(page instanceof Error) && page.status === 200) return void latencies.push(performance.now() - started);
        failed += 1;
        const kind = page instanceof Error ? page.message : `${page.status} ${/<h1>(.*?)<\/h1>/.exec(page.body)?.[1] ?? ''}`;
        failures[kind] = (failures[kind] ?? 0) + 1;
      }),
    ),
  );
  const wallMs = performance.now() - begin;
  agent.destroy();
  const refreshes = (await recordedRequests(emulatorUrl)).filter(isRefresh).length;
  await clearRequests(emulatorUrl);
  latencies.sort((x, y) => x - y);
  return { refreshes, failed, failures, p99Ms: percentile(latencies, 99), wallMs };
}

/**
 * Bytes of Redis per connected account on `mode`: the growth of the data over `count` new accounts
 * (after a few first ones, which create what all accounts share: script caches, rate-limit
 * counters), and MEMORY USAGE of one account's session key and token record.
 */
async function memoryPerAccount(mode: Mode, appBase: string, count: number) {
  await connectMany(appBase, 10);
  const before = await mode.memory();
  const cookies = await connectMany(appBase, count);
  const after = await mode.memory();
  const client = mode.client();
  const sessionId = decodeURIComponent(cookies[0]!.slice(cookies[0]!.indexOf('=') + 1)).slice(2).split('.')[0]!;
  const session = JSON.parse((await client.get(SESSION_PREFIX + sessionId)) ?? '{}') as { connections?: { individual?: string } };
  const keyBytes = async (key: string) => Number((await client.call('MEMORY', 'USAGE', key)) ?? 0);
  return {
    primaryBytes: round((after.primaries - before.primaries) / count, 0),
    replicaBytes: round((after.replicas - before.replicas) / count, 0),
    sessionKeyBytes: await keyBytes(SESSION_PREFIX + sessionId),
    connectionKeyBytes: await keyBytes(`cronofy-connect:connection:${session.connections?.individual ?? ''}`),
  };
}

export async function redisModesScenario(b: Bench): Promise<ScenarioResult> {
  const { settings } = b;
  const sessions = Number(process.env.BENCH_STORM_SESSIONS ?? 20);
  const perSession = Number(process.env.BENCH_STORM_PER_SESSION ?? 10);
  const accounts = Number(process.env.BENCH_MODES_ACCOUNTS ?? 200);
  const ports = await Promise.all(Array.from({ length: 5 }, freePort));
  const emulatorPort = ports[4]!;
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const redirectUris = ports.slice(0, 4).flatMap((port) => [`http://localhost:${port}/oauth/callback`, `http://localhost:${port}/permissions/callback`]);
  const emulator = startNode(
    'modes-emulator',
    'dist/emulator/main.js',
    { NODE_ENV: 'production', EMULATOR_PORT: String(emulatorPort), EMULATOR_REDIRECT_URIS: redirectUris.join(','), EMULATOR_CONTROL_API: 'true', EMULATOR_RATE_LIMIT: 'false' },
    b.top.emulator.cpu,
  );
  const stops: (() => Promise<void>)[] = [() => emulator.stop()];
  try {
    await waitForHttp(`${emulatorUrl}/`, emulator);
    b.progress('R starting one Redis server and a Cluster of three, two app instances on each');
    const single = await oneServer();
    stops.push(single.stop);
    const clustered = await cluster();
    stops.push(clustered.stop);
    const onSingle = await instances(b, single, emulatorUrl, [ports[0]!, ports[1]!]);
    stops.push(onSingle.stop);
    const onCluster = await instances(b, clustered, emulatorUrl, [ports[2]!, ports[3]!]);
    stops.push(onCluster.stop);

    // The authenticated home page, as S1 measures it, on each.
    const [singleCookie] = await connectMany(onSingle.a, 1);
    const [clusterCookie] = await connectMany(onCluster.a, 1);
    const opts = (cookie: string) => ({ headers: { cookie: cookie! }, warmupS: settings.warmupS, measureS: settings.measureS });
    b.progress(`R page closed loop -c ${settings.connections}, ${settings.reps} reps, Cluster and one server interleaved`);
    const page = await interleaved(
      settings.reps,
      () => closedLoop(dial(`${onCluster.a}/`), settings.connections, opts(clusterCookie!)),
      () => closedLoop(dial(`${onSingle.a}/`), settings.connections, opts(singleCookie!)),
    );
    const medians = (runs: LoadResult[]) => ({ rps: median(runs.map((r) => r.rps)), p99Ms: median(runs.map((r) => r.p99Ms)), failures: runs.reduce((n, r) => n + r.failures, 0) });
    const [pageCluster, pageSingle] = [medians(page.a), medians(page.b)];

    b.progress(`R refresh storm: ${sessions} sessions × ${perSession} requests over two instances, ${settings.reps} reps each`);
    const singleSessions = await connectMany(onSingle.a, sessions);
    const clusterSessions = await connectMany(onCluster.a, sessions);
    const storms = await interleaved(
      settings.reps,
      () => storm(emulatorUrl, onCluster, clusterSessions, perSession),
      () => storm(emulatorUrl, onSingle, singleSessions, perSession),
    );
    const stormMedians = (runs: StormRun[]) => ({
      wallMs: median(runs.map((r) => r.wallMs)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      refreshes: runs.map((r) => r.refreshes).join(' / '),
      failed: runs.reduce((n, r) => n + r.failed, 0),
    });
    const [stormCluster, stormSingle] = [stormMedians(storms.a), stormMedians(storms.b)];

    const errors = { single: onSingle.errors(), cluster: onCluster.errors() };
    b.progress(`R memory: ${accounts} new accounts on each mode`);
    const memSingle = await memoryPerAccount(single, onSingle.a, accounts);
    const memCluster = await memoryPerAccount(clustered, onCluster.a, accounts);
    await onSingle.stop();
    await onCluster.stop();
    const sentinelGroup = await sentinel();
    stops.push(sentinelGroup.stop);
    const onSentinel = await instances(b, sentinelGroup, emulatorUrl, [ports[0]!, ports[1]!], 1);
    stops.push(onSentinel.stop);
    const memSentinel = await memoryPerAccount(sentinelGroup, onSentinel.a, accounts);

    const rows: Row[] = [
      info(NAME, `page req/s, -c ${settings.connections}: Cluster (app) vs one server (baseline)`, round(pageCluster.rps, 0), round(pageSingle.rps, 0)),
      info(NAME, `page p99 ms, -c ${settings.connections}: Cluster vs one server`, pageCluster.p99Ms, pageSingle.p99Ms),
      { ...info(NAME, 'page failed requests: Cluster vs one server', pageCluster.failures, pageSingle.failures), target: '= 0', met: pageCluster.failures + pageSingle.failures === 0 },
      info(NAME, `storm wall ms, ${sessions}×${perSession} over two instances: Cluster vs one server`, round(stormCluster.wallMs, 0), round(stormSingle.wallMs, 0)),
      info(NAME, 'storm p99 ms: Cluster vs one server', round(stormCluster.p99Ms, 0), round(stormSingle.p99Ms, 0)),
      {
        ...info(NAME, `storm refreshes at the emulator per run (= ${sessions} sessions): Cluster vs one server`, stormCluster.refreshes, stormSingle.refreshes),
        target: `= ${sessions}`,
        met: [...storms.a, ...storms.b].every((r) => r.refreshes === sessions),
      },
      { ...info(NAME, 'storm failed requests: Cluster vs one server', stormCluster.failed, stormSingle.failed), target: '= 0', met: stormCluster.failed + stormSingle.failed === 0 },
      { ...info(NAME, 'error-level lines in the app logs: Cluster vs one server', errors.cluster.count, errors.single.count), target: '= 0', met: errors.cluster.count + errors.single.count === 0 },
      info(NAME, `Redis bytes per connected account (used_memory_dataset growth / ${accounts}): Cluster, all primaries vs one server`, memCluster.primaryBytes, memSingle.primaryBytes),
      info(NAME, 'Redis bytes per connected account: Sentinel primary vs its replica', memSentinel.primaryBytes, memSentinel.replicaBytes),
      info(NAME, 'MEMORY USAGE of one account: session key / token record (one server)', `${memSingle.sessionKeyBytes} / ${memSingle.connectionKeyBytes}`),
    ];
    return { rows, data: { page, storms, errors, memory: { single: memSingle, cluster: memCluster, sentinel: memSentinel } } };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}
