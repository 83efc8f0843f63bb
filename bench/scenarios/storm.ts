// S4: refresh storm. N connected sessions; every access token is expired at the emulator (the app
// still believes them fresh, so each request meets a 401 first); then K concurrent GET /calendars
// per session, all at once. Exactly one refresh (POST /oauth/token, grant_type=refresh_token) per
// session may reach the emulator. Run against one instance, and against two instances behind the
// proxy, where the in-process de-duplication no longer suffices and the Redis lock must hold.
import { clearRequests, expireAccessTokens, isRefresh, recordedRequests } from '../lib/emulator-control';
import { newAgent, send } from '../lib/http';
import { median, percentile, round } from '../lib/stats';
import type { Bench, Row, ScenarioResult } from '../lib/bench';
import { connectOnce } from '../flow-driver';

const NAME = 'S4 refresh storm';

interface StormRun {
  requests: number;
  failed: number;
  /** Status code or error code of each failure, with a body excerpt for the first of each. */
  failures: Record<string, { count: number; example: string }>;
  refreshes: number;
  unauthorizedCalls: number;
  p50Ms: number;
  p99Ms: number;
  wallMs: number;
}

/** The visible text of an error page: its heading and message are what say what went wrong. */
const pageText = (html: string): string => html.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/g, '').replace(/<[^>]+>/g, ' ');

async function storm(b: Bench, base: string, cookies: string[], perSession: number): Promise<StormRun> {
  await expireAccessTokens(b.top.emulatorUrl);
  await clearRequests(b.top.emulatorUrl);
  const agent = newAgent(cookies.length * perSession);
  const latencies: number[] = [];
  const failures: StormRun['failures'] = {};
  let failed = 0;
  const fail = (kind: string, example: string) => {
    failed += 1;
    failures[kind] ??= { count: 0, example: example.replace(/\s+/g, ' ').slice(0, 300) };
    failures[kind].count += 1;
  };
  const begin = performance.now();
  await Promise.all(
    cookies.flatMap((cookie) =>
      Array.from({ length: perSession }, async () => {
        const started = performance.now();
        try {
          const page = await send(`${base}/calendars`, { agent, headers: { cookie } });
          if (page.status === 200) latencies.push(performance.now() - started);
          else fail(String(page.status), pageText(page.body));
        } catch (err) {
          fail((err as NodeJS.ErrnoException).code ?? 'error', err instanceof Error ? err.message : String(err));
        }
      }),
    ),
  );
  const wallMs = performance.now() - begin;
  agent.destroy();
  const recorded = await recordedRequests(b.top.emulatorUrl);
  await clearRequests(b.top.emulatorUrl);
  latencies.sort((x, y) => x - y);
  return {
    requests: cookies.length * perSession,
    failed,
    failures,
    refreshes: recorded.filter(isRefresh).length,
    unauthorizedCalls: recorded.filter((r) => r.path === '/v1/calendars' && r.status === 401).length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    wallMs,
  };
}

export async function stormScenario(b: Bench): Promise<ScenarioResult> {
  const { settings } = b;
  const n = settings.stormSessions;
  const k = settings.stormRequestsPerSession;
  b.progress(`S4 connecting ${n} sessions`);
  const agent = newAgent(n);
  const cookies = await Promise.all(Array.from({ length: n }, () => connectOnce({ appBase: b.top.appA.url, cookieName: 'cc.sid', agent })));
  agent.destroy();

  const rows: Row[] = [];
  const data: Record<string, unknown> = {};
  const variants = [
    { label: '1 instance', base: b.top.appA.url },
    { label: '2 instances via proxy', base: b.top.proxyTwo.url },
  ];
  for (const variant of variants) {
    b.progress(`S4 storm, ${variant.label}: ${n} sessions × ${k} concurrent requests, ${settings.reps} reps`);
    const runs: StormRun[] = [];
    for (let rep = 0; rep < settings.reps; rep++) runs.push(await storm(b, variant.base, cookies, k));
    const refreshes = runs.map((r) => r.refreshes);
    const failed = runs.reduce((sum, r) => sum + r.failed, 0);
    rows.push(
      {
        scenario: NAME,
        metric: `refresh calls per storm (${n} sessions × ${k}), ${variant.label}`,
        app: refreshes.join(' / '),
        baseline: n,
        ratio: null,
        target: `= ${n} each`,
        met: refreshes.every((count) => count === n),
      },
      {
        scenario: NAME,
        metric: `failed requests, ${variant.label}`,
        app: failed === 0 ? 0 : `${failed} (${[...new Set(runs.flatMap((r) => Object.keys(r.failures)))].join(', ')})`,
        baseline: null,
        ratio: null,
        target: '= 0',
        met: failed === 0,
      },
      { scenario: NAME, metric: `p99 ms, ${variant.label}`, app: round(median(runs.map((r) => r.p99Ms))), baseline: null, ratio: null, target: '—', met: null },
    );
    data[variant.label] = runs;
  }
  return { rows, data: { sessions: n, requestsPerSession: k, ...data } };
}
