// Plays a browser through Individual Connect with plain HTTP, as a person would:
//   GET /connect/individual → GET the emulator's consent page → POST it (Allow, first account)
//   → GET /oauth/callback with the first cookie → (full flow only) GET /calendars with the new one.
// Works for the real app and for the BF skeleton alike: both answer the same URLs.
import type http from 'node:http';
import { formSubmission } from '../test/support/forms';
import { cookieFrom, expectStatus, locationOf, send } from './lib/http';
import { percentile } from './lib/stats';

export interface FlowTarget {
  /** e.g. http://localhost:41234 (must be the APP_BASE_URL the emulator knows). */
  appBase: string;
  cookieName: string;
  agent: http.Agent;
}

/** Runs a connect flow up to the callback; returns the session cookie ("name=value") it ends with. */
export async function connectOnce(target: FlowTarget): Promise<string> {
  const { agent, cookieName } = target;
  const startUrl = `${target.appBase}/connect/individual`;
  const start = await send(startUrl, { agent });
  expectStatus(start, 302, 'GET /connect/individual');
  const firstCookie = cookieFrom(start, cookieName);
  if (!firstCookie) throw new Error('GET /connect/individual set no session cookie');

  const consentUrl = locationOf(start, startUrl, 'GET /connect/individual');
  const page = await send(consentUrl, { agent });
  expectStatus(page, 200, 'GET consent page');
  const form = formSubmission(consentUrl, page.body, 'Allow');
  const decided = await send(form.action.toString(), {
    agent,
    method: 'POST',
    body: form.body.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  expectStatus(decided, 302, 'POST consent');

  const callbackUrl = locationOf(decided, form.action.toString(), 'POST consent');
  const callback = await send(callbackUrl, { agent, headers: { cookie: firstCookie } });
  expectStatus(callback, 302, 'GET /oauth/callback');
  // The id is regenerated at the callback: the cookie to keep is the new one.
  return cookieFrom(callback, cookieName) ?? firstCookie;
}

/** connectOnce, then the calendars page the callback redirects to. */
export async function fullFlow(target: FlowTarget): Promise<void> {
  const cookie = await connectOnce(target);
  const calendars = await send(`${target.appBase}/calendars`, { agent: target.agent, headers: { cookie } });
  expectStatus(calendars, 200, 'GET /calendars');
}

export interface FlowRun {
  vus: number;
  flows: number;
  /** Every flow that completed, warm-up included (for keys-per-flow accounting). */
  completedAll: number;
  flowsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError?: string;
}

/**
 * `vus` virtual users, each a new browser per flow, back to back for warm-up + measurement.
 * Only flows that start after the warm-up and finish before the end are counted.
 */
export async function runFlows(target: FlowTarget, vus: number, warmupS: number, measureS: number): Promise<FlowRun> {
  const begin = performance.now();
  const measureFrom = begin + warmupS * 1000;
  const end = measureFrom + measureS * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let completedAll = 0;
  let firstError: string | undefined;

  const user = async (): Promise<void> => {
    while (performance.now() < end) {
      const started = performance.now();
      try {
        await fullFlow(target);
        const finished = performance.now();
        completedAll += 1;
        if (started >= measureFrom && finished <= end) latencies.push(finished - started);
      } catch (err) {
        if (started >= measureFrom) errors += 1;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: vus }, user));
  latencies.sort((a, b) => a - b);
  return {
    vus,
    flows: latencies.length,
    completedAll,
    flowsPerSec: latencies.length / measureS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
    ...(firstError ? { firstError } : {}),
  };
}
