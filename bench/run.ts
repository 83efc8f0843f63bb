// `npm run bench`: starts Redis-backed app instances, the baselines and the emulator as separate
// processes, drives a real connect flow to get a connected session, runs the scenarios, prints
// the table and writes bench/results/latest.{md,json}. Children are stopped on every exit path.
//
// Environment (all optional): BENCH_WARMUP_S (2), BENCH_MEASURE_S (5), BENCH_REPS (3),
// BENCH_ONLY (e.g. "S1,S3"), BENCH_REDIS_URL (redis://127.0.0.1:6379/15, flushed at start and end),
// BENCH_CHILD_STDOUT (directory for the children's stdout), BENCH_STORM_SESSIONS, BENCH_GROWTH_SESSIONS,
// BENCH_MODES_ACCOUNTS (R: accounts connected per Redis mode for the memory figures, 200).
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import { loadConfig } from '../src/config';
import { type Bench, type Row, type ScenarioResult, settingsFromEnv } from './lib/bench';
import { affinityOf, killAllNow, pinSelf, rssKb, stopAll, tasksetAvailable } from './lib/processes';
import { BENCH_REDIS_URL, benchRedis, redisInfo } from './lib/redis-tools';
import { type ForeignLoad, foreignLoad, snapshot } from './lib/noise';
import { type Meta, writeResults } from './lib/report';
import { round } from './lib/stats';
import { APP_CPU, LOAD_CPU, startTopology, type Topology } from './lib/topology';
import { pageScenario } from './scenarios/page';
import { calendarsScenario } from './scenarios/calendars';
import { flowsScenario } from './scenarios/flows';
import { footprint, growthScenario } from './scenarios/growth';
import { connectedSessions, cookieAttributes } from './lib/session-setup';
import { scaleOutScenario } from './scenarios/scale-out';
import { stormScenario } from './scenarios/storm';
import { redisModesScenario } from './scenarios/redis-modes';

const RESULTS_DIR = path.join(__dirname, 'results');
const progress = (line: string) => console.warn(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

const NOTES = [
  "autocannon overallRate gives each connection a per-second quota that it spends back to back (bursts, not even spacing), and its coordinated-omission correction passes Math.ceil(1 / perConnectionRate) = 1 ms as the expected interval (lib/run.js): when the server cannot keep up, autocannon just sends less (see 'achieved req/s') and reports closed-loop-like latencies. The paced open-loop generator counts queueing from each request's due time: trust it for p99 at a fixed rate.",
  'App logs (pino, info, one line per request) go to a pipe that the orchestrator only scans for error-level lines (reported below the table): the serialisation cost is measured, a log shipper is not.',
  'RATE_LIMIT_CONNECT_PER_MINUTE is raised to 1e9 (all flows come from 127.0.0.1); the limiter middleware and its Redis call still run.',
  'S6: with 2 CPUs, instance B shares CPU 1 with the load generator, proxy and emulator; a second instance cannot add a CPU that does not exist.',
];

/** Rows about the machine and the processes rather than one scenario. */
function machineRows(noise: Record<string, ForeignLoad>, top: Topology, rssAtStart: number | null): Row[] {
  const mb = (kb: number | null) => (kb === null ? 'n/a' : String(round(kb / 1024)));
  const row = (scenario: string, metric: string, app: string, target = '—'): Row => ({ scenario, metric, app, baseline: null, ratio: null, target, met: null });
  return [
    row('Noise', `other processes' CPU use (CPUs) during ${Object.keys(noise).join(' / ')}`, Object.values(noise).map((n) => n.cpus.toFixed(2)).join(' / '), '≈ 0'),
    {
      ...row('Process', 'error-level lines in the app logs (A / B)', `${top.appA.child.errorLog().count} / ${top.appB.child.errorLog().count}`, '= 0'),
      met: top.appA.child.errorLog().count + top.appB.child.errorLog().count === 0,
    },
    row('Process', 'app A RSS MB: at start → after all scenarios', `${mb(rssAtStart)} → ${mb(rssKb(top.appA.child.pid))}`),
    row('Process', 'emulator RSS MB after all scenarios (its request log is cleared after every run)', mb(rssKb(top.emulator.pid))),
  ];
}

function autocannonVersion(): string {
  const require_ = createRequire(__filename);
  return (require_('autocannon/package.json') as { version: string }).version;
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const settings = settingsFromEnv(process.env);
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim().toUpperCase());
  const wanted = (id: string) => !only || only.includes(id);
  const cpus = os.availableParallelism();
  const pin = cpus >= 2 && tasksetAvailable();
  const selfPinned = pin && pinSelf(LOAD_CPU);

  // The app decides Secure/__Host- from APP_BASE_URL: over http the cookie is cc.sid, not Secure,
  // so express-session accepts it without req.secure. Checked with the app's own config loader.
  const secureCookies = loadConfig({
    NODE_ENV: 'production',
    APP_BASE_URL: 'http://localhost:3000',
    CRONOFY_CLIENT_ID: 'x',
    CRONOFY_CLIENT_SECRET: 'x',
    REDIS_URL: BENCH_REDIS_URL,
    SESSION_SECRET: 'x'.repeat(32),
  }).secureCookies;
  if (secureCookies) throw new Error('unexpected: secure cookies over http');

  const redis = benchRedis();
  mainRedis = redis;
  await redis.flushdb();
  progress(`Redis ${BENCH_REDIS_URL} flushed; starting processes`);
  const top = await startTopology(pin);
  const { appCookie, b1Cookie, b1, sessionJson } = await connectedSessions(top, redis);
  const cookieLine = await cookieAttributes(top);
  const redisPid = (await redisInfo(redis)).pid;
  // rate/appRate are set by S1; BENCH_RATE stands in when S1 is skipped (BENCH_ONLY).
  const fallbackRate = Number(process.env.BENCH_RATE ?? 1000);
  const bench: Bench = { settings, top, redis, appCookie, b1, b1Cookie, rate: fallbackRate, appRate: fallbackRate, progress };
  const rssAtStart = rssKb(top.appA.child.pid);

  const scenarios: Record<string, ScenarioResult> = {};
  const noise: Record<string, ForeignLoad> = {};
  const ours = () => [process.pid, process.ppid, redisPid, ...top.children().map((c) => c.pid)];
  const run = async (id: string, fn: (b: Bench) => Promise<ScenarioResult>) => {
    if (!wanted(id)) return;
    const before = snapshot();
    scenarios[id] = await fn(bench);
    noise[id] = foreignLoad(before, snapshot(), ours());
  };
  // Order: S5 needs S1's rate and S2's inspector timeline; S4 expires every token, so it is last.
  await run('S1', pageScenario);
  await run('S2', calendarsScenario);
  await run('S5', growthScenario);
  await run('S3', flowsScenario);
  await run('S6', scaleOutScenario);
  await run('R', redisModesScenario); // its own Redis servers, app instances and emulator
  await run('S4', stormScenario);

  const fp = await footprint(bench);
  const redisMeta = await redisInfo(redis);
  const rows: Row[] = [...Object.values(scenarios).flatMap((s) => s.rows), ...machineRows(noise, top, rssAtStart)];
  const meta: Meta = {
    date: new Date().toISOString(),
    durationS: round((performance.now() - startedAt) / 1000, 0),
    node: process.version,
    cpus,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    pinning: pin
      ? [
          `taskset: app instance A, B1 and BF on CPU ${APP_CPU}; load generator/flow driver (this process${selfPinned ? '' : ', pinning failed'}), emulator, proxies and app instance B on CPU ${LOAD_CPU}.`,
          `Redis ${redisMeta.version} (pid ${redisMeta.pid}) is the machine's shared server and was not re-pinned: affinity ${affinityOf(redisMeta.pid) ?? 'unknown'}.`,
        ]
      : ['No pinning (taskset missing or fewer than 2 CPUs).'],
    tools: [
      `autocannon ${autocannonVersion()} (programmatic): -c ${settings.connections} -p 1, warm-up ${settings.warmupS} s then ${settings.measureS} s measured; ${settings.reps} repetitions interleaved with the baseline, medians reported.`,
      `Fixed rate: ${bench.rate} req/s = ${settings.rateShare * 100}% of B1's median max (S1), as autocannon overallRate and as an open-loop paced generator (latency from the due time); S5 uses ${bench.appRate} req/s = ${settings.rateShare * 100}% of the app's own S1 max.`,
      `All servers NODE_ENV=production, started as separate processes (\`node --import tsx\`; the app through src/server.ts), Redis ${BENCH_REDIS_URL} (FLUSHDB at start and end), emulator with rateLimit: false and controlApi: true.`,
      `Session cookie (APP_BASE_URL http://localhost:<port>): \`${cookieLine}\`; B1 session ${sessionJson.length} bytes of JSON vs app session ${fp.sessionValueLength}.`,
    ],
    notes: [
      ...Object.entries(noise)
        .filter(([, n]) => n.top.length > 0)
        .map(([id, n]) => `Other processes busy during ${id}: ${n.top.join('; ')}.`),
      ...[top.appA.child, top.appB.child].flatMap((c) => c.errorLog().first.map((line) => `${c.name} logged: \`${line.slice(0, 400)}\``)),
      ...NOTES,
    ],
  };
  const data: Record<string, unknown> = Object.fromEntries(Object.entries(scenarios).map(([id, s]) => [id, { ...s.data, foreignLoad: noise[id] }]));
  data.appErrorLog = { A: top.appA.child.errorLog(), B: top.appB.child.errorLog() };
  const md = writeResults(RESULTS_DIR, meta, rows, data);
  process.stdout.write(`${md}\n`);
}

let mainRedis: Redis | undefined;
let cleaning: Promise<void> | undefined;
async function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    // First cut the orchestrator's own connection, so that a scenario still running (a pipelined
    // fill, say) cannot write after the final FLUSHDB.
    mainRedis?.disconnect();
    await stopAll();
    const redis = benchRedis();
    await redis.flushdb().catch(() => undefined);
    redis.disconnect();
  })();
  return cleaning;
}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping child processes`);
    void cleanup().finally(() => process.exit(130));
  });
}

main()
  .then(() => cleanup())
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    await cleanup();
    process.exit(1);
  });
