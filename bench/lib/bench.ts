// Shared shapes: settings, what every scenario receives, and the rows of the result table.
import type Redis from 'ioredis';
import { cpuMeter } from './noise';
import { median } from './stats';
import type { Server, Topology } from './topology';

export interface Settings {
  warmupS: number;
  measureS: number;
  reps: number;
  connections: number;
  /** The paced (open-loop) p99 run uses this share of B1's median max throughput. */
  rateShare: number;
  flowVus: number[];
}

export function settingsFromEnv(env: NodeJS.ProcessEnv, defaults: Partial<Settings> = {}): Settings {
  const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  return {
    warmupS: num('BENCH_WARMUP_S', defaults.warmupS ?? 2),
    measureS: num('BENCH_MEASURE_S', defaults.measureS ?? 5),
    reps: num('BENCH_REPS', defaults.reps ?? 5),
    connections: 50,
    rateShare: 0.5,
    flowVus: defaults.flowVus ?? [10, 50],
  };
}

export interface Bench {
  settings: Settings;
  top: Topology;
  redis: Redis;
  /** Cookie header value of a connected session on the app. */
  appCookie: string;
  b1: Server;
  b1Cookie: string;
  progress(line: string): void;
}

export interface Row {
  scenario: string;
  metric: string;
  app: number | string;
  baseline: number | string | null;
  /** app ÷ baseline. */
  ratio: number | null;
  target: string;
  /** null: no target, reported for information. */
  met: boolean | null;
  /** A check (errors, calls per page) must hold even in the smoke run; a target is a number to reach. */
  kind?: 'target' | 'check';
}

export interface ScenarioResult {
  rows: Row[];
  /** Raw runs and details for latest.json. */
  data: Record<string, unknown>;
}

/** A scenario of the full run: `npm run bench` runs them in this order (see run.ts). */
export interface Scenario {
  id: string;
  run(b: Bench): Promise<ScenarioResult>;
  /** Only when named with --only (a long scenario that the full run leaves out). */
  onRequest?: boolean;
}

/** Runs a and b `reps` times, alternating which goes first, so drift affects both alike. */
export async function interleaved<T>(reps: number, a: () => Promise<T>, b: () => Promise<T>): Promise<{ a: T[]; b: T[] }> {
  const out = { a: [] as T[], b: [] as T[] };
  for (let rep = 0; rep < reps; rep++) {
    if (rep % 2 === 0) {
      out.a.push(await a());
      out.b.push(await b());
    } else {
      out.b.push(await b());
      out.a.push(await a());
    }
  }
  return out;
}

/** Throughput-like: higher is better. */
export function atLeast(scenario: string, metric: string, app: number, baseline: number, min: number): Row {
  const ratio = app / baseline;
  return { scenario, metric, app, baseline, ratio, target: `≥ ${min}×`, met: ratio >= min, kind: 'target' };
}

/** Latency-like: lower is better. */
export function atMost(scenario: string, metric: string, app: number, baseline: number, max: number): Row {
  const ratio = app / baseline;
  return { scenario, metric, app, baseline, ratio, target: `≤ ${max}×`, met: ratio <= max, kind: 'target' };
}

/** Something that must hold in every run, smoke included: `app` must equal `expected`. */
export function check(scenario: string, metric: string, app: number, expected = 0, baseline: number | string | null = null): Row {
  return { scenario, metric, app, baseline, ratio: null, target: `= ${expected}`, met: app === expected, kind: 'check' };
}

export function info(scenario: string, metric: string, app: number | string, baseline: number | string | null = null): Row {
  // A count of zero against zero (failures, error lines) has no ratio: blank, not NaN.
  const ratio = typeof app === 'number' && typeof baseline === 'number' && baseline !== 0 ? app / baseline : null;
  return { scenario, metric, app, baseline, ratio, target: '—', met: null };
}

/** Runs `run` and adds how much CPU each named process used meanwhile (warm-up included). */
export async function metered<T extends object>(pids: Record<string, number>, run: () => Promise<T>): Promise<T & { cpu: Record<string, number> }> {
  const stop = cpuMeter(pids);
  const result = await run();
  return { ...result, cpu: stop() };
}

/** Median CPU use of one named process over runs from `metered`. */
export const medianCpu = (runs: { cpu: Record<string, number> }[], name: string): number => median(runs.map((r) => r.cpu[name] ?? 0));

/** URLs for autocannon: dial 127.0.0.1 rather than resolve "localhost". */
export const dial = (url: string): string => url.replace('//localhost:', '//127.0.0.1:');
