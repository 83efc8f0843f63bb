// page: the authenticated home page (GET / with a connected session): EJS render from the session
// plus the token-store read, no call to Cronofy, vs B1 (session only, small string). Closed loop
// for throughput; then, for information, against B1 sending the app's page bytes (what the page
// itself costs); then the paced open-loop generator at a fixed share of B1's max for p99.
import { clearRequests, recordedRequests } from '../lib/emulator-control';
import { newAgent, send } from '../lib/http';
import { commandsDuring, perRequest } from '../lib/redis-monitor';
import { closedLoop, type LoadResult, paced } from '../lib/load';
import { median, round } from '../lib/stats';
import { atLeast, atMost, type Bench, check, dial, info, interleaved, medianCpu, metered, type Row, type ScenarioResult } from '../lib/bench';

const NAME = 'page';
const CHECK_REQUESTS = 20;

/** The page really is the connected home page; and how many Redis commands each request costs. */
async function checkPage(b: Bench): Promise<{ app: ReturnType<typeof perRequest>; b1: ReturnType<typeof perRequest> }> {
  const agent = newAgent(1);
  const app = await send(`${b.top.app.url}/`, { agent, headers: { cookie: b.appCookie } });
  if (app.status !== 200 || !app.body.includes('Your calendar connection')) throw new Error(`page: GET / is not the connected home page (${app.status})`);
  const sequential = (url: string, cookie: string) => async () => {
    for (let i = 0; i < CHECK_REQUESTS; i++) {
      const answer = await send(url, { agent, headers: { cookie } });
      if (answer.status !== 200) throw new Error(`page: GET ${url} answered ${answer.status}`);
    }
  };
  const appCommands = await commandsDuring(sequential(`${b.top.app.url}/`, b.appCookie));
  const b1Commands = await commandsDuring(sequential(`${b.b1.url}/`, b.b1Cookie));
  agent.destroy();
  return { app: perRequest(appCommands, CHECK_REQUESTS), b1: perRequest(b1Commands, CHECK_REQUESTS) };
}

export const medians = (runs: LoadResult[]) => ({
  rps: median(runs.map((r) => r.rps)),
  p50Ms: median(runs.map((r) => r.p50Ms)),
  p99Ms: median(runs.map((r) => r.p99Ms)),
  failures: runs.reduce((n, r) => n + r.failures, 0),
});

export async function pageScenario(b: Bench): Promise<ScenarioResult> {
  const redisCommands = await checkPage(b);
  const { settings } = b;
  const opts = (cookie: string) => ({ headers: { cookie }, warmupS: settings.warmupS, measureS: settings.measureS });
  const appUrl = dial(`${b.top.app.url}/`);
  const b1Url = dial(`${b.b1.url}/`);

  b.progress(`page: closed loop -c ${settings.connections}, ${settings.reps} reps`);
  await clearRequests(b.top.emulatorUrl);
  const pids = (server: number) => ({ server, loadGenerator: process.pid });
  const closed = await interleaved(
    settings.reps,
    () => metered(pids(b.top.app.child.pid), () => closedLoop(appUrl, settings.connections, opts(b.appCookie))),
    () => metered(pids(b.b1.child.pid), () => closedLoop(b1Url, settings.connections, opts(b.b1Cookie))),
  );
  // Counted over the whole closed-loop phase: the page must be served from Redis alone.
  const emulatorCalls = (await recordedRequests(b.top.emulatorUrl)).length;
  const app = medians(closed.a);
  const b1 = medians(closed.b);

  // Not a target: how much of the gap is the page itself. B1 sends the app's page, same bytes.
  b.progress(`page: closed loop vs B1 sending the same page, ${settings.reps} reps`);
  const b1PageUrl = dial(`${b.b1.url}/page`);
  const samePage = await interleaved(
    settings.reps,
    () => closedLoop(appUrl, settings.connections, opts(b.appCookie)),
    () => closedLoop(b1PageUrl, settings.connections, opts(b.b1Cookie)),
  );
  const appAgain = medians(samePage.a);
  const b1Page = medians(samePage.b);

  const rate = Math.max(1, Math.round(b1.rps * settings.rateShare));
  b.progress(`page: paced ${rate}/s, ${settings.reps} reps`);
  const pacedRuns = await interleaved(
    settings.reps,
    () => paced(appUrl, rate, settings.connections, opts(b.appCookie)),
    () => paced(b1Url, rate, settings.connections, opts(b.b1Cookie)),
  );
  const pacedApp = medians(pacedRuns.a);
  const pacedB1 = medians(pacedRuns.b);

  const rows: Row[] = [
    atLeast(NAME, `req/s, -c ${settings.connections}`, round(app.rps, 0), round(b1.rps, 0), 0.8),
    atMost(NAME, `p99 ms, -c ${settings.connections}`, app.p99Ms, b1.p99Ms, 1.5),
    info(NAME, `p50 ms, -c ${settings.connections}`, app.p50Ms, b1.p50Ms),
    info(NAME, `server process CPU (CPUs), -c ${settings.connections}`, medianCpu(closed.a, 'server'), medianCpu(closed.b, 'server')),
    atMost(NAME, `p99 ms @ ${rate}/s (paced, open loop, ${settings.rateShare * 100}% of B1's max)`, round(pacedApp.p99Ms), round(pacedB1.p99Ms), 1.5),
    info(NAME, `p50 ms @ ${rate}/s (paced, open loop)`, round(pacedApp.p50Ms), round(pacedB1.p50Ms)),
    info(NAME, `req/s, -c ${settings.connections}, vs B1 sending the app's page (the same bytes, not rendered)`, round(appAgain.rps, 0), round(b1Page.rps, 0)),
    info(NAME, 'Redis commands per request (MONITOR, 20 sequential)', redisCommands.app.total, redisCommands.b1.total),
    check(NAME, 'emulator requests during the runs', emulatorCalls),
    check(NAME, 'failed requests (non-2xx, errors), all runs', app.failures + pacedApp.failures + b1.failures + pacedB1.failures + appAgain.failures + b1Page.failures),
  ];
  return {
    rows,
    data: {
      closedLoop: { app: closed.a, b1: closed.b, medianApp: app, medianB1: b1 },
      samePage: { app: samePage.a, b1Page: samePage.b, medianApp: appAgain, medianB1Page: b1Page },
      paced: { rate, app: pacedRuns.a, b1: pacedRuns.b, medianApp: pacedApp, medianB1: pacedB1 },
      emulatorCalls,
      redisCommandsPerRequest: { app: redisCommands.app.text, b1: redisCommands.b1.text },
    },
  };
}
