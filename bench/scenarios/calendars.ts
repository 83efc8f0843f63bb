// calendars: the calendars page (one Cronofy call per request: GET /v1/calendars on the emulator)
// vs B1 + the same axios call. The app's read cache is off (CRONOFY_CACHE_SECONDS=0, topology.ts):
// B1 has none. First a check that the app really makes exactly one emulator call per page (and no
// refresh), then closed-loop runs.
import { clearRequests, recordedRequests } from '../lib/emulator-control';
import { newAgent, send } from '../lib/http';
import { commandsDuring, perRequest } from '../lib/redis-monitor';
import { closedLoop, type LoadResult } from '../lib/load';
import { median, round } from '../lib/stats';
import { atLeast, atMost, type Bench, check, dial, info, interleaved, medianCpu, metered, type ScenarioResult } from '../lib/bench';

const NAME = 'calendars';
const CHECK_REQUESTS = 20;

interface Check {
  perPage: number;
  paths: Record<string, number>;
  redis: { app: ReturnType<typeof perRequest>; b1: ReturnType<typeof perRequest> };
}

/**
 * Emulator calls and Redis commands per page, over CHECK_REQUESTS sequential pages. A first page
 * before them refills the app's profile cache (kept a minute; a page past that adds a call to
 * /v1/profiles, once a minute, as in production).
 */
async function callsPerPage(b: Bench): Promise<Check> {
  const agent = newAgent(1);
  const sequential = (url: string, cookie: string) => async () => {
    for (let i = 0; i < CHECK_REQUESTS; i++) {
      const page = await send(url, { agent, headers: { cookie } });
      if (page.status !== 200) throw new Error(`calendars: GET ${url} answered ${page.status}: ${page.body.slice(0, 200)}`);
    }
  };
  await send(`${b.top.app.url}/calendars`, { agent, headers: { cookie: b.appCookie } });
  await clearRequests(b.top.emulatorUrl);
  const appCommands = await commandsDuring(sequential(`${b.top.app.url}/calendars`, b.appCookie));
  const recorded = await recordedRequests(b.top.emulatorUrl);
  const b1Commands = await commandsDuring(sequential(`${b.b1.url}/calendars`, b.b1Cookie));
  agent.destroy();
  await clearRequests(b.top.emulatorUrl);
  const paths: Record<string, number> = {};
  for (const r of recorded) paths[`${r.method} ${r.path}`] = (paths[`${r.method} ${r.path}`] ?? 0) + 1;
  return {
    perPage: recorded.length / CHECK_REQUESTS,
    paths,
    redis: { app: perRequest(appCommands, CHECK_REQUESTS), b1: perRequest(b1Commands, CHECK_REQUESTS) },
  };
}

export async function calendarsScenario(b: Bench): Promise<ScenarioResult> {
  const { settings } = b;
  const checked = await callsPerPage(b);
  const opts = (cookie: string) => ({ headers: { cookie }, warmupS: settings.warmupS, measureS: settings.measureS });
  const withClear = async (server: number, run: () => Promise<LoadResult>) => {
    const result = await metered({ server, loadGenerator: process.pid, emulator: b.top.emulator.pid }, run);
    await clearRequests(b.top.emulatorUrl); // the emulator records every request: keep its memory flat
    return result;
  };

  b.progress(`calendars: closed loop -c ${settings.connections}, ${settings.reps} reps`);
  const runs = await interleaved(
    settings.reps,
    () => withClear(b.top.app.child.pid, () => closedLoop(dial(`${b.top.app.url}/calendars`), settings.connections, opts(b.appCookie))),
    () => withClear(b.b1.child.pid, () => closedLoop(dial(`${b.b1.url}/calendars`), settings.connections, opts(b.b1Cookie))),
  );
  const m = (list: LoadResult[], key: 'rps' | 'p50Ms' | 'p99Ms') => median(list.map((r) => r[key]));
  const failures = [...runs.a, ...runs.b].reduce((n, r) => n + r.failures, 0);
  return {
    rows: [
      atLeast(NAME, `req/s, -c ${settings.connections}`, round(m(runs.a, 'rps'), 0), round(m(runs.b, 'rps'), 0), 0.8),
      atMost(NAME, `p99 ms, -c ${settings.connections}`, m(runs.a, 'p99Ms'), m(runs.b, 'p99Ms'), 1.5),
      info(NAME, `p50 ms, -c ${settings.connections}`, m(runs.a, 'p50Ms'), m(runs.b, 'p50Ms')),
      info(NAME, `server process CPU (CPUs); emulator ${medianCpu(runs.a, 'emulator')}`, medianCpu(runs.a, 'server'), medianCpu(runs.b, 'server')),
      check(NAME, 'emulator calls per page', checked.perPage, 1, 1),
      info(NAME, 'Redis commands per request (MONITOR, 20 sequential)', checked.redis.app.total, checked.redis.b1.total),
      check(NAME, 'failed requests, all runs', failures),
    ],
    data: { check: { ...checked, redis: { app: checked.redis.app.text, b1: checked.redis.b1.text } }, app: runs.a, b1: runs.b },
  };
}
