// S1: the authenticated home page (GET / with a connected session): EJS render from the session
// plus the token-store read, no call to Cronofy, vs B1 (session only, small string). Closed loop
// for throughput, then a fixed rate (share of B1's max) for p99, two ways (see lib/load.ts).
import { clearRequests, recordedRequests } from '../lib/emulator-control';
import { newAgent, send } from '../lib/http';
import { commandsDuring, perRequest } from '../lib/redis-monitor';
import { autocannonRate, closedLoop, type LoadResult, paced } from '../lib/load';
import { median, round } from '../lib/stats';
import { atLeast, atMost, type Bench, dial, info, interleaved, medianCpu, metered, type Row, type ScenarioResult } from '../lib/bench';

const NAME = 'S1 page';

const CHECK_REQUESTS = 20;

/** The page really is the connected home page; and how many Redis commands each request costs. */
async function checkPage(b: Bench): Promise<{ app: ReturnType<typeof perRequest>; b1: ReturnType<typeof perRequest> }> {
  const agent = newAgent(1);
  const app = await send(`${b.top.appA.url}/`, { agent, headers: { cookie: b.appCookie } });
  if (app.status !== 200 || !app.body.includes('Your calendar connection')) throw new Error(`S1: GET / is not the connected home page (${app.status})`);
  const sequential = (url: string, cookie: string) => async () => {
    for (let i = 0; i < CHECK_REQUESTS; i++) {
      const answer = await send(url, { agent, headers: { cookie } });
      if (answer.status !== 200) throw new Error(`S1: GET ${url} answered ${answer.status}`);
    }
  };
  const appCommands = await commandsDuring(sequential(`${b.top.appA.url}/`, b.appCookie));
  const b1Commands = await commandsDuring(sequential(`${b.b1.url}/`, b.b1Cookie));
  agent.destroy();
  return { app: perRequest(appCommands, CHECK_REQUESTS), b1: perRequest(b1Commands, CHECK_REQUESTS) };
}

const medians = (runs: LoadResult[]) => ({
  rps: median(runs.map((r) => r.rps)),
  p50Ms: median(runs.map((r) => r.p50Ms)),
  p99Ms: median(runs.map((r) => r.p99Ms)),
  failures: runs.reduce((n, r) => n + r.failures, 0),
});

export async function pageScenario(b: Bench): Promise<ScenarioResult> {
  const redisCommands = await checkPage(b);
  const { settings } = b;
  const opts = (cookie: string) => ({ headers: { cookie }, warmupS: settings.warmupS, measureS: settings.measureS });
  const appUrl = dial(`${b.top.appA.url}/`);
  const b1Url = dial(`${b.b1.url}/`);

  b.progress(`S1 closed loop -c ${settings.connections}, ${settings.reps} reps`);
  await clearRequests(b.top.emulatorUrl);
  const pids = (server: number) => ({ server, loadGenerator: process.pid });
  const closed = await interleaved(
    settings.reps,
    () => metered(pids(b.top.appA.child.pid), () => closedLoop(appUrl, settings.connections, opts(b.appCookie))),
    () => metered(pids(b.b1.child.pid), () => closedLoop(b1Url, settings.connections, opts(b.b1Cookie))),
  );
  // Counted over the whole closed-loop phase: the page must be served from Redis alone.
  const emulatorCalls = (await recordedRequests(b.top.emulatorUrl)).length;

  const app = medians(closed.a);
  const b1 = medians(closed.b);
  b.rate = Math.max(1, Math.round(b1.rps * settings.rateShare));
  b.appRate = Math.max(1, Math.round(app.rps * settings.rateShare));

  b.progress(`S1 autocannon overallRate ${b.rate}/s, ${settings.reps} reps`);
  const ac = await interleaved(
    settings.reps,
    () => autocannonRate(appUrl, settings.connections, b.rate, opts(b.appCookie)),
    () => autocannonRate(b1Url, settings.connections, b.rate, opts(b.b1Cookie)),
  );
  b.progress(`S1 paced ${b.rate}/s, ${settings.reps} reps`);
  const pacedRuns = await interleaved(
    settings.reps,
    () => paced(appUrl, b.rate, settings.connections, opts(b.appCookie)),
    () => paced(b1Url, b.rate, settings.connections, opts(b.b1Cookie)),
  );
  const acApp = medians(ac.a);
  const acB1 = medians(ac.b);
  const pacedApp = medians(pacedRuns.a);
  const pacedB1 = medians(pacedRuns.b);

  const rows: Row[] = [
    atLeast(NAME, `req/s, -c ${settings.connections}`, round(app.rps, 0), round(b1.rps, 0), 0.7),
    info(NAME, `p50 ms, -c ${settings.connections}`, app.p50Ms, b1.p50Ms),
    info(NAME, `server process CPU (CPUs), -c ${settings.connections}`, medianCpu(closed.a, 'server'), medianCpu(closed.b, 'server')),
    atMost(NAME, `p99 ms, -c ${settings.connections}`, app.p99Ms, b1.p99Ms, 1.5),
    info(NAME, `achieved req/s @ ${b.rate}/s (autocannon overallRate)`, round(acApp.rps, 0), round(acB1.rps, 0)),
    atMost(NAME, `p99 ms @ ${b.rate}/s (autocannon overallRate)`, acApp.p99Ms, acB1.p99Ms, 1.5),
    atMost(NAME, `p99 ms @ ${b.rate}/s (paced, open loop)`, round(pacedApp.p99Ms), round(pacedB1.p99Ms), 1.5),
    info(NAME, `p50 ms @ ${b.rate}/s (paced, open loop)`, round(pacedApp.p50Ms), round(pacedB1.p50Ms)),
    info(NAME, 'Redis commands per request (MONITOR, 20 sequential)', redisCommands.app.total, redisCommands.b1.total),
    { scenario: NAME, metric: 'emulator requests during S1 runs', app: emulatorCalls, baseline: null, ratio: null, target: '= 0', met: emulatorCalls === 0 },
    {
      scenario: NAME,
      metric: 'failed requests (non-2xx/errors), all S1 runs',
      app: app.failures + acApp.failures + pacedApp.failures,
      baseline: b1.failures + acB1.failures + pacedB1.failures,
      ratio: null,
      target: '= 0',
      met: app.failures + acApp.failures + pacedApp.failures + b1.failures + acB1.failures + pacedB1.failures === 0,
    },
  ];
  return {
    rows,
    data: {
      rate: b.rate,
      closedLoop: { app: closed.a, b1: closed.b, medianApp: app, medianB1: b1 },
      autocannonRate: { app: ac.a, b1: ac.b, medianApp: acApp, medianB1: acB1 },
      paced: { app: pacedRuns.a, b1: pacedRuns.b, medianApp: pacedApp, medianB1: pacedB1 },
      emulatorCalls,
      redisCommandsPerRequest: { app: redisCommands.app.text, b1: redisCommands.b1.text },
    },
  };
}
