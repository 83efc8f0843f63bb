// S6: scale-out. The calendars page (S2) through the round-robin proxy, first with one app
// instance behind it, then with two sharing Redis. Both go through the same proxy hop, so the
// ratio isolates the second instance. On a 2-CPU machine the second instance has to share CPU 1
// with the load generator, the proxies and the emulator: see the report's notes.
import type { Bench, ScenarioResult } from '../lib/bench';
import { dial, info, interleaved, medianCpu, metered } from '../lib/bench';
import { clearRequests } from '../lib/emulator-control';
import { newAgent, send } from '../lib/http';
import { closedLoop, type LoadResult } from '../lib/load';
import { median, round } from '../lib/stats';

const NAME = 'S6 scale-out';

export async function scaleOutScenario(b: Bench): Promise<ScenarioResult> {
  const { settings } = b;
  const agent = newAgent(1);
  for (const proxy of [b.top.proxyOne, b.top.proxyTwo]) {
    for (let i = 0; i < 2; i++) {
      const page = await send(`${proxy.url}/calendars`, { agent, headers: { cookie: b.appCookie } });
      if (page.status !== 200) throw new Error(`S6: ${proxy.name} GET /calendars answered ${page.status}`);
    }
  }
  agent.destroy();

  const opts = { headers: { cookie: b.appCookie }, warmupS: settings.warmupS, measureS: settings.measureS };
  const pids = { appA: b.top.appA.child.pid, appB: b.top.appB.child.pid, proxy1: b.top.proxyOne.child.pid, proxy2: b.top.proxyTwo.child.pid, loadGenerator: process.pid, emulator: b.top.emulator.pid };
  const run = async (url: string) => {
    const result = await metered(pids, () => closedLoop(dial(`${url}/calendars`), settings.connections, opts));
    await clearRequests(b.top.emulatorUrl);
    return result;
  };
  b.progress(`S6 /calendars via proxy, 1 vs 2 instances, ${settings.reps} reps`);
  const runs = await interleaved(settings.reps, () => run(b.top.proxyTwo.url), () => run(b.top.proxyOne.url));
  const rps = (list: LoadResult[]) => round(median(list.map((r) => r.rps)), 0);
  const p99 = (list: LoadResult[]) => median(list.map((r) => r.p99Ms));
  const failures = [...runs.a, ...runs.b].reduce((n, r) => n + r.failures, 0);
  return {
    rows: [
      info(NAME, 'req/s /calendars via proxy: 2 instances (app) vs 1 instance (baseline)', rps(runs.a), rps(runs.b)),
      info(NAME, 'p99 ms via proxy: 2 vs 1 instances', p99(runs.a), p99(runs.b)),
      info(NAME, 'CPU (CPUs) app A + app B: 2 vs 1 instances', round(medianCpu(runs.a, 'appA') + medianCpu(runs.a, 'appB'), 2), medianCpu(runs.b, 'appA')),
      info(
        NAME,
        'CPU (CPUs) on CPU 1 besides app B (load generator + proxy + emulator), 2 instances',
        round(medianCpu(runs.a, 'loadGenerator') + medianCpu(runs.a, 'proxy2') + medianCpu(runs.a, 'emulator'), 2),
      ),
      { scenario: NAME, metric: 'failed requests, all S6 runs', app: failures, baseline: null, ratio: null, target: '= 0', met: failures === 0 },
    ],
    data: { twoInstances: runs.a, oneInstance: runs.b },
  };
}
