// Load generators. Both run in this (orchestrator) process, which is pinned away from the app.
// - closedLoop: autocannon, fixed connections, next request when the previous answers: gives
//   max throughput, but under-reports tail latency when the server stalls (coordinated omission).
// - paced: an open-loop generator that starts requests evenly spaced and measures each latency
//   from the moment the request was *due*, so queueing behind a stall is counted (wrk2-style).
//   autocannon's own fixed rate (overallRate) is not used: it gives each connection a per-second
//   quota that it spends back to back, so the load comes in bursts, and its latency correction
//   assumes a 1 ms interval (autocannon 9, lib/run.js).
import autocannon from 'autocannon';
import { newAgent, send } from './http';
import { percentile } from './stats';

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx answers plus socket errors and timeouts: must be 0 for a valid run. */
  failures: number;
  /** paced only: what the failures were, e.g. { "500": 3, "ECONNRESET": 1 }. */
  failureKinds?: Record<string, number>;
  /** paced only: the generator's own worst lateness in starting a request (its event-loop stalls). */
  maxLagMs?: number;
}

export interface LoadOptions {
  headers: Record<string, string>;
  warmupS: number;
  measureS: number;
}

function fromAutocannon(result: autocannon.Result): LoadResult {
  return {
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** Closed loop on `url`; with `requests`, each connection cycles through those paths and headers on its host. */
export async function closedLoop(url: string, connections: number, options: LoadOptions & { requests?: autocannon.Options['requests'] }): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections,
    pipelining: 1,
    duration: options.measureS,
    warmup: { connections, duration: options.warmupS },
    headers: options.headers,
    ...(options.requests ? { requests: options.requests } : {}),
  });
  return fromAutocannon(result);
}

/** Exactly `amount` requests on `connections` connections, no time limit (the instruction counts). */
export async function fixedCount(url: string, connections: number, amount: number, headers: Record<string, string>): Promise<LoadResult> {
  return fromAutocannon(await autocannon({ url, connections, pipelining: 1, amount, headers, timeout: 120 }));
}

/**
 * `rate` requests per second, due times evenly spaced; a 1 ms tick sends whatever is due, so the
 * generator's own jitter (≤ ~1 ms) is included in every latency, equally for app and baseline.
 * Up to `maxSockets` requests in flight; beyond that they wait in the agent's queue, and that wait
 * counts, as it would for a browser.
 */
/** One request of a paced run: where, and with which headers (a session cookie). */
export interface Target {
  url: string;
  headers: Record<string, string>;
}

/** Paced load on one URL, or round-robin over several targets (e.g. many sessions, several pages). */
export async function paced(targets: string | Target[], rate: number, maxSockets: number, options: LoadOptions): Promise<LoadResult> {
  const list: Target[] = typeof targets === 'string' ? [{ url: targets, headers: options.headers }] : targets;
  const agent = newAgent(maxSockets);
  const intervalMs = 1000 / rate;
  const begin = performance.now();
  const measureFrom = begin + options.warmupS * 1000;
  const end = measureFrom + options.measureS * 1000;
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let failures = 0;
  let sent = 0;
  let maxLagMs = 0;
  const failureKinds: Record<string, number> = {};
  const fail = (kind: string) => {
    failures += 1;
    failureKinds[kind] = (failureKinds[kind] ?? 0) + 1;
  };

  const fire = (due: number): void => {
    const counted = due >= measureFrom;
    const target = list[sent % list.length] as Target;
    const request = send(target.url, { agent, headers: target.headers, discardBody: true })
      .then((reply) => {
        if (!counted) return;
        if (reply.status >= 200 && reply.status < 300) latencies.push(performance.now() - due);
        else fail(String(reply.status));
      })
      .catch((err: unknown) => {
        if (counted) fail((err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : 'error'));
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Math.min(performance.now(), end);
      while (begin + sent * intervalMs <= now) {
        maxLagMs = Math.max(maxLagMs, performance.now() - (begin + sent * intervalMs));
        fire(begin + sent * intervalMs);
        sent += 1;
      }
      if (now >= end) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / options.measureS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requests: latencies.length,
    failures,
    failureKinds,
    maxLagMs,
  };
}
