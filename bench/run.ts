// `npm run bench [-- <mode>] [--runs N] [--only a,b] [--readme]`: builds the app (dist/) and the
// baselines, starts them, the emulator and the load in separate processes, and reports.
//   (no mode)  the full run: every scenario below, each interleaved with its baseline, medians of
//              BENCH_REPS (5) repetitions; writes bench/results/latest.{md,json}. About 7 minutes.
//              --runs N repeats it N times with fresh processes and adds a summary with ranges;
//              --readme then also replaces the README's table with that summary.
//   smoke      one short repetition of each scenario and a 10-second soak: exits 1 when a check
//              fails (an error, a failed request), never because of a number. Writes nothing
//              under bench/results. `.ci/run` runs it.
//   soak       the app at half its maximum rate for 10 minutes (scenarios/soak.ts): bench/results/soak.md.
//   profile    the app and its baseline under each scenario's load with `node --cpu-prof`: CPU
//              microseconds per request by layer (lib/cpu-profile.ts): bench/results/profile-node<major>.md.
//   instructions  the app and B1 under valgrind's callgrind: instructions per page, not moved by
//              other work on the machine, but not always steady from run to run (lib/instructions.ts): bench/results/instructions-node<major>.md.
//   --only redis-modes  one server vs a Redis Cluster vs Sentinel (scenarios/redis-modes.ts, about
//              2 minutes on a quiet machine; not in the full run).
// Environment (optional): BENCH_WARMUP_S (2), BENCH_MEASURE_S (5), BENCH_REPS (5),
// BENCH_SOAK_S (600), BENCH_SOAK_WARMUP_S (60), BENCH_PROFILE_S (10), BENCH_INSTR_WARMUP (2000), BENCH_INSTR_REQUESTS (500),
// BENCH_REDIS_URL (redis://127.0.0.1:6379/15: its database is flushed at start and end),
// BENCH_CHILD_STDOUT (a directory to keep each child's stdout in), BENCH_MODES_ACCOUNTS
// (redis-modes: accounts connected per Redis mode for the memory figures, 200).
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import { type Bench, type Row, type Scenario, type ScenarioResult, type Settings, settingsFromEnv, dial } from './lib/bench';
import { breakdown, profileClockUs } from './lib/cpu-profile';
import { closedLoop } from './lib/load';
import { callgrindLauncher, countInstructions, valgrindAvailable } from './lib/instructions';
import { affinityOf, killAllNow, pinSelf, stopAll, tasksetAvailable } from './lib/processes';
import { BENCH_REDIS_URL, benchRedis, redisInfo } from './lib/redis-tools';
import { type ForeignLoad, foreignLoad, snapshot } from './lib/noise';
import { type Meta, type RunResult, updateReadme, writeResults } from './lib/report';
import { round } from './lib/stats';
import { APP_CPU, LOAD_CPU, startTopology, type Topology, type TopologyOptions } from './lib/topology';
import { connectedSessions } from './lib/session-setup';
import { newAgent } from './lib/http';
import { runFlows } from './flow-driver';
import { pageScenario } from './scenarios/page';
import { calendarsScenario } from './scenarios/calendars';
import { flowsScenario } from './scenarios/flows';
import { soakScenario, soakSettingsFromEnv } from './scenarios/soak';
import { redisModesScenario } from './scenarios/redis-modes';

/**
 * The full run, in this order. A new scenario is one more entry (and a file in scenarios/);
 * `onRequest` ones run only when named (`--only`), to keep the full run to about 7 minutes.
 */
const SCENARIOS: Scenario[] = [
  { id: 'page', run: pageScenario },
  { id: 'calendars', run: calendarsScenario },
  { id: 'flows', run: flowsScenario },
  { id: 'redis-modes', run: redisModesScenario, onRequest: true }, // its own Redis servers, app instances and emulator
];

const ROOT = path.join(__dirname, '..');
/** Counted before this process pins itself to one CPU (which availableParallelism then reports). */
const CPUS = os.availableParallelism();
const RESULTS_DIR = path.join(__dirname, 'results');
const progress = (line: string) => console.warn(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

const NOTES = [
  'App logs (pino, info, one line per request) go to a pipe that the orchestrator only scans for error-level lines: the serialisation and the write are measured, a log shipper is not.',
  'The rate limits are raised to 1e9 per minute (all load comes from 127.0.0.1 and one session); the limiters and their Redis calls still run.',
  "The app's read cache is off (CRONOFY_CACHE_SECONDS=0): the calendars page calls the emulator on every request, as the baseline does.",
];

interface Options {
  mode: 'full' | 'smoke' | 'soak' | 'profile' | 'instructions';
  runs: number;
  only: string[] | null;
  readme: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { mode: 'full', runs: 1, only: null, readme: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === 'smoke' || arg === 'soak' || arg === 'profile' || arg === 'instructions' || arg === 'full') options.mode = arg;
    else if (arg === '--runs') options.runs = Math.max(1, Number(argv[++i]));
    else if (arg === '--only') options.only = (argv[++i] ?? '').split(',').map((s) => s.trim());
    else if (arg === '--readme') options.readme = true;
    else throw new Error(`unknown argument "${arg}": see the top of bench/run.ts`);
  }
  return options;
}

function autocannonVersion(): string {
  return (createRequire(__filename)('autocannon/package.json') as { version: string }).version;
}

let mainRedis: Redis | undefined;

/** Redis flushed, processes started, a connected session on the app and its twin on B1; stopped after. */
async function withBench<T>(settings: Settings, topology: Omit<TopologyOptions, 'pin'>, body: (b: Bench) => Promise<T>): Promise<T> {
  const pin = CPUS >= 2 && tasksetAvailable();
  if (pin) pinSelf(LOAD_CPU);
  const redis = benchRedis();
  mainRedis = redis;
  await redis.flushdb();
  try {
    const top = await startTopology({ pin, ...topology });
    const { appCookie, b1Cookie, b1 } = await connectedSessions(top, redis);
    return await body({ settings, top, redis, appCookie, b1, b1Cookie, progress });
  } finally {
    redis.disconnect();
    mainRedis = undefined;
    await cleanup();
  }
}

async function pinningLines(top: Topology, redis: Redis, pin: boolean): Promise<string[]> {
  if (!pin) return ['No pinning (taskset missing or fewer than 2 CPUs).'];
  const info = await redisInfo(redis);
  return [
    `taskset: the app, B1 and BF on CPU ${APP_CPU}; the load generator and flow driver (this process) and the emulator on CPU ${LOAD_CPU}.`,
    `Redis ${info.version} (pid ${info.pid}) is the machine's shared server and was not re-pinned: affinity ${affinityOf(info.pid) ?? 'unknown'}.`,
    `Processes: ${top.children().map((c) => `${c.name} (pid ${c.pid})`).join(', ')}.`,
  ];
}

/** One full run: every wanted scenario on one set of processes. */
async function fullRun(settings: Settings, only: string[] | null): Promise<RunResult> {
  const startedAt = performance.now();
  const loadStart = os.loadavg();
  return withBench(settings, {}, async (b) => {
    const redisPid = (await redisInfo(b.redis)).pid;
    const results: Record<string, ScenarioResult> = {};
    const noise: Record<string, ForeignLoad> = {};
    const ours = () => [process.pid, process.ppid, redisPid, ...b.top.children().map((c) => c.pid)];
    for (const scenario of SCENARIOS) {
      if (only ? !only.includes(scenario.id) : scenario.onRequest) continue;
      const before = snapshot();
      results[scenario.id] = await scenario.run(b);
      noise[scenario.id] = foreignLoad(before, snapshot(), ours());
    }
    const errors = b.top.app.child.errorLog();
    const rows: Row[] = [
      ...Object.values(results).flatMap((s) => s.rows),
      {
        scenario: 'machine',
        metric: `other processes' CPU use (CPUs) during ${Object.keys(noise).join(' / ')}`,
        app: Object.values(noise).map((n) => n.cpus.toFixed(2)).join(' / '),
        baseline: null,
        ratio: null,
        target: '≈ 0',
        met: null,
      },
      { scenario: 'app', metric: 'error-level lines in the app log', app: errors.count, baseline: null, ratio: null, target: '= 0', met: errors.count === 0, kind: 'check' },
    ];
    const meta: Meta = {
      ...machineMeta(startedAt, loadStart),
      pinning: await pinningLines(b.top, b.redis, b.top.app.child.cpu !== null),
      tools: [
        `autocannon ${autocannonVersion()} (programmatic): -c ${settings.connections} -p 1, warm-up ${settings.warmupS} s then ${settings.measureS} s measured; ${settings.reps} repetitions interleaved with the baseline (ABBA…), medians reported.`,
        `Paced open-loop generator for p99 at a fixed rate (${settings.rateShare * 100}% of B1's median max): latency counted from each request's due time.`,
        `All servers NODE_ENV=production, compiled JavaScript on plain node: the app dist/server.js, the emulator dist/emulator/main.js, the baselines bench/baselines; Redis ${BENCH_REDIS_URL} (FLUSHDB at start and end).`,
      ],
      notes: [
        ...Object.entries(noise)
          .filter(([, n]) => n.top.length > 0)
          .map(([id, n]) => `Other processes busy during ${id}: ${n.top.join('; ')}.`),
        ...errors.first.map((line) => `The app logged: \`${line.slice(0, 400)}\``),
        ...NOTES,
      ],
    };
    const data: Record<string, unknown> = Object.fromEntries(Object.entries(results).map(([id, s]) => [id, { ...s.data, foreignLoad: noise[id] }]));
    return { meta, rows, data };
  });
}

async function full(options: Options): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const runs: RunResult[] = [];
  for (let i = 0; i < options.runs; i++) {
    progress(`full run ${i + 1} of ${options.runs}`);
    runs.push(await fullRun(settings, options.only));
    // Written after every run, so that a series cut short still leaves the runs it finished.
    const md = writeResults(RESULTS_DIR, 'latest', 'npm run bench', runs);
    if (i === options.runs - 1) process.stdout.write(`${md}\n`);
  }
  if (options.readme) updateReadme(path.join(ROOT, 'README.md'), runs);
}

/** Short runs of everything; fails on checks only. */
async function smoke(): Promise<boolean> {
  const settings = settingsFromEnv(process.env, { reps: 1, warmupS: 1, measureS: 2, flowVus: [10] });
  const run = await fullRun(settings, null);
  const soakRows = await withBench(settings, { appEnv: { CRONOFY_CACHE_SECONDS: '30' } }, async (b) =>
    (await soakScenario(b.top, b.redis, soakSettingsFromEnv({}, { warmupS: 3, soakS: 10, sampleEveryS: 5 }), progress)).rows,
  );
  const rows = [...run.rows, ...soakRows];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  try {
    process.stdout.write(`${writeResults(dir, 'smoke', 'npm run bench -- smoke', [{ ...run, rows }])}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true }); // the smoke's report is its stdout; nothing stays behind
  }
  const failed = rows.filter((r) => r.kind === 'check' && r.met === false);
  for (const row of failed) console.error(`bench smoke: ${row.scenario} ${row.metric}: ${row.app} (expected ${row.target})`);
  console.warn(failed.length === 0 ? 'bench smoke: every check held' : `bench smoke: ${failed.length} check(s) failed`);
  return failed.length === 0;
}

async function soak(): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const soakSettings = soakSettingsFromEnv(process.env);
  const loadStart = os.loadavg();
  const startedAt = performance.now();
  const result = await withBench(settings, { appEnv: { CRONOFY_CACHE_SECONDS: '30' } }, async (b) => ({
    ...(await soakScenario(b.top, b.redis, soakSettings, progress)),
    pinning: await pinningLines(b.top, b.redis, b.top.app.child.cpu !== null),
  }));
  const meta: Meta = {
    ...machineMeta(startedAt, loadStart),
    pinning: result.pinning,
    tools: [`Paced open-loop generator, ${soakSettings.sessions} sessions, pages ${'/, /, /, /calendars'} in turn; read cache at its default (30 s).`],
    notes: [`RSS samples (s: MB): ${(result.data.rssSamples as { atS: number; rssMb: number }[]).map((s) => `${s.atS}: ${s.rssMb}`).join(', ')}.`],
  };
  process.stdout.write(`${writeResults(RESULTS_DIR, 'soak', 'npm run bench -- soak', [{ meta, rows: result.rows, data: result.data }])}\n`);
}

/**
 * The app and its baseline under each scenario's load with --cpu-prof, fresh processes per
 * scenario: CPU microseconds per request (per flow), by layer, counted over the measured load only.
 */
async function profile(): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const seconds = Number(process.env.BENCH_PROFILE_S ?? 10);
  /** Load for `forS` seconds; how many requests (flows) completed. */
  type Load = (url: string, cookie: string, forS: number) => Promise<number>;
  const pageLoad = (page: string): Load => async (url, cookie, forS) =>
    (await closedLoop(`${url.replace('localhost', '127.0.0.1')}${page}`, settings.connections, { headers: { cookie }, warmupS: 0, measureS: forS })).requests;
  const flowLoad: Load = async (url, _cookie, forS) => {
    const agent = newAgent(50);
    const run = await runFlows({ appBase: url, cookieName: 'cc.sid', agent }, 50, 0, forS);
    agent.destroy();
    return run.flows;
  };
  const loads: { id: string; unit: string; baseline: (b: Bench) => { name: string; url: string; cookie: string; pid: number }; drive: Load }[] = [
    { id: 'page', unit: 'request', baseline: (b) => ({ name: 'B1', url: b.b1.url, cookie: b.b1Cookie, pid: b.b1.child.pid }), drive: pageLoad('/') },
    { id: 'calendars', unit: 'request', baseline: (b) => ({ name: 'B1', url: b.b1.url, cookie: b.b1Cookie, pid: b.b1.child.pid }), drive: pageLoad('/calendars') },
    { id: 'flows', unit: 'flow', baseline: (b) => ({ name: 'BF', url: b.top.bf.url, cookie: '', pid: b.top.bf.child.pid }), drive: flowLoad },
  ];
  const columns: { title: string; layers: Map<string, number>; total: number }[] = [];
  for (const load of loads) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-profile-'));
    progress(`profile: ${load.id}, app and baseline, ${seconds} s each after a 2 s warm-up`);
    const prof = ['--cpu-prof', '--cpu-prof-dir', dir];
    const runs = await withBench(settings, { appNodeArgs: prof, baselineNodeArgs: prof }, async (b) => {
      const measured: { name: string; pid: number; served: number; fromUs: number; toUs: number }[] = [];
      const base = load.baseline(b);
      for (const target of [{ name: 'app', url: b.top.app.url, cookie: b.appCookie, pid: b.top.app.child.pid }, base]) {
        await load.drive(target.url, target.cookie, 2); // warm-up, not counted
        const fromUs = profileClockUs();
        const served = await load.drive(target.url, target.cookie, seconds);
        measured.push({ name: target.name, pid: target.pid, served, fromUs, toUs: profileClockUs() });
      }
      return measured;
    });
    for (const run of runs) {
      const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile') && name.includes(`.${run.pid}.`));
      if (!file) throw new Error(`profile: ${run.name} (pid ${run.pid}) wrote no .cpuprofile in ${dir}`);
      const result = breakdown(path.join(dir, file), run);
      const perUnit = (result.busyMs * 1000) / Math.max(1, run.served);
      columns.push({ title: `${load.id}: ${run.name}`, layers: new Map(result.layers.map(([layer, share]) => [layer, share * perUnit])), total: perUnit });
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const first = columns[0];
  const layers = [...new Set(columns.flatMap((c) => [...c.layers.keys()]))].sort((a, b) => (first?.layers.get(b) ?? 0) - (first?.layers.get(a) ?? 0));
  const us = (value: number | undefined) => (value === undefined || value < 0.05 ? '' : value.toFixed(1));
  const md = [
    '# npm run bench -- profile',
    '',
    `${new Date().toISOString()}, Node ${process.version}, ${CPUS} CPUs, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}.`,
    '',
    `Each server (NODE_ENV=production, compiled, pinned to one CPU) under ${seconds} s of closed-loop load (-c ${settings.connections}; flows: 50 users) after a 2 s warm-up, with \`node --cpu-prof\`; only the measured load is counted. CPU microseconds per request (flows: per complete flow), by layer: the self time of the code of each package or source directory, V8 builtins counted in the layer that called them (lib/cpu-profile.ts). The profiler samples wall time on the main thread: time the process waited for the CPU lands on whatever ran.`,
    '',
    `| Layer | ${columns.map((c) => c.title).join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
    ...layers.map((layer) => `| ${layer} | ${columns.map((c) => us(c.layers.get(layer))).join(' | ')} |`),
    `| **total, µs per request (flows: per flow)** | ${columns.map((c) => `**${c.total.toFixed(0)}**`).join(' | ')} |`,
    '',
  ].join('\n');
  writeFileSync(path.join(RESULTS_DIR, `profile-node${process.versions.node.split('.')[0]}.md`), md);
  process.stdout.write(`${md}\n`);
}

/**
 * The app and B1 under valgrind's callgrind: instructions per request on the home page and the
 * calendars page (lib/instructions.ts); count both builds in one sitting and repeat (decision 013):
 * bench/results/instructions-node<major>.md. About 8 minutes.
 */
async function instructions(): Promise<void> {
  if (!valgrindAvailable()) throw new Error('npm run bench -- instructions needs valgrind (Debian: apt-get install valgrind)');
  const settings = settingsFromEnv(process.env);
  const warmup = Number(process.env.BENCH_INSTR_WARMUP ?? 2000);
  const requests = Number(process.env.BENCH_INSTR_REQUESTS ?? 500);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-callgrind-'));
  const startedAt = performance.now();
  const loadStart = os.loadavg();
  try {
    const topology = {
      launcher: callgrindLauncher(dir),
      startTimeoutMs: 300_000,
      // Everything is about 50 times slower under valgrind: the app's deadlines would answer 503.
      appEnv: { REDIS_COMMAND_TIMEOUT_MS: '30000', CRONOFY_TIMEOUT_MS: '60000' },
    };
    const rows = await withBench(settings, topology, async (b) => {
      const lines: string[] = [];
      for (const page of ['/', '/calendars']) {
        progress(`instructions: ${page}, app then B1, ${warmup} requests of warm-up and ${requests} counted each`);
        const app = await countInstructions(dir, b.top.app.child, dial(`${b.top.app.url}${page}`), b.appCookie, warmup, requests);
        const b1 = await countInstructions(dir, b.b1.child, dial(`${b.b1.url}${page}`), b.b1Cookie, warmup, requests);
        if (app.failures + b1.failures > 0) throw new Error(`instructions: ${page}: ${app.failures} failed requests on the app, ${b1.failures} on B1`);
        const k = (n: number) => Math.round(n / 1000).toLocaleString('en-US');
        lines.push(`| ${page} | ${k(app.perRequest)} | ${k(b1.perRequest)} | ${(b1.perRequest / app.perRequest).toFixed(3)} |`);
      }
      return lines;
    });
    const meta = machineMeta(startedAt, loadStart);
    const md = [
      '# npm run bench -- instructions',
      '',
      `${meta.date}, ${meta.node}, ${meta.durationS} s. The app (dist/server.js) and B1 under \`valgrind --tool=callgrind\`, each page: ${warmup} requests of warm-up, then ${requests} counted (4 connections). User-space instructions in every thread (JIT and GC included, the kernel not), per request (lib/instructions.ts).`,
      '',
      '| Page | App, thousand instructions per request | B1 | B1 ÷ app |',
      '| --- | ---: | ---: | ---: |',
      ...rows,
      '',
    ].join('\n');
    writeFileSync(path.join(RESULTS_DIR, `instructions-node${process.versions.node.split('.')[0]}.md`), md);
    process.stdout.write(`${md}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let cleaning: Promise<void> | undefined;
async function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    // First cut the orchestrator's own connection, so that a scenario still running cannot write
    // after the final FLUSHDB.
    mainRedis?.disconnect();
    await stopAll();
    const redis = benchRedis();
    await redis.flushdb().catch(() => undefined);
    redis.disconnect();
  })();
  await cleaning;
  cleaning = undefined;
}

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping child processes`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (options.mode === 'smoke') return (await smoke()) ? 0 : 1;
  if (options.mode === 'soak') await soak();
  else if (options.mode === 'profile') await profile();
  else if (options.mode === 'instructions') await instructions();
  else await full(options);
  return 0;
}

main()
  .then((code) => process.exit(code))
  .catch(async (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    await cleanup();
    process.exit(1);
  });

/** When, how long and on what a run was measured: the part of every results header that is not the run's own. */
function machineMeta(startedAt: number, loadStart: number[]): Pick<Meta, 'date' | 'durationS' | 'node' | 'cpus' | 'cpuModel' | 'load'> {
  return {
    date: new Date().toISOString(),
    durationS: round((performance.now() - startedAt) / 1000, 0),
    node: process.version,
    cpus: CPUS,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    load: { start: loadStart, end: os.loadavg() },
  };
}
