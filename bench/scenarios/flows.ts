// flows: full Individual Connect flows (start → consent page → consent POST → callback with token
// exchange → calendars page), V virtual users each a new browser per flow, app vs BF, interleaved.
import { clearRequests } from '../lib/emulator-control';
import { newAgent } from '../lib/http';
import { commandsDuring, perRequest } from '../lib/redis-monitor';
import { countKeys } from '../lib/redis-tools';
import { median, round } from '../lib/stats';
import { atLeast, atMost, type Bench, check, info, interleaved, medianCpu, metered, type Row, type ScenarioResult } from '../lib/bench';
import { type FlowRun, fullFlow, runFlows } from '../flow-driver';
import { SESSION_PREFIX } from '../../src/session';

const NAME = 'flows';

const CHECK_FLOWS = 5;

/** Redis commands per complete flow, app and BF, over a few sequential flows. */
async function commandsPerFlow(b: Bench): Promise<{ app: ReturnType<typeof perRequest>; bf: ReturnType<typeof perRequest> }> {
  const agent = newAgent(1);
  const flows = (appBase: string) => async () => {
    for (let i = 0; i < CHECK_FLOWS; i++) await fullFlow({ appBase, cookieName: 'cc.sid', agent });
  };
  const app = perRequest(await commandsDuring(flows(b.top.app.url)), CHECK_FLOWS);
  const bf = perRequest(await commandsDuring(flows(b.top.bf.url)), CHECK_FLOWS);
  agent.destroy();
  await clearRequests(b.top.emulatorUrl);
  return { app, bf };
}

export async function flowsScenario(b: Bench): Promise<ScenarioResult> {
  const { settings } = b;
  const perFlow = await commandsPerFlow(b);
  const rows: Row[] = [info(NAME, 'Redis commands per flow (MONITOR, 5 sequential)', perFlow.app.total, perFlow.bf.total)];
  const data: Record<string, unknown> = { redisCommandsPerFlow: { app: perFlow.app.text, bf: perFlow.bf.text } };

  for (const vus of settings.flowVus) {
    b.progress(`flows: ${vus} virtual users, ${settings.reps} reps`);
    let appFlowsAll = 0;
    let appSessionKeysAdded = 0;
    const run = async (appBase: string, isApp: boolean) => {
      const agent = newAgent(vus);
      const before = isApp ? await countKeys(b.redis, `${SESSION_PREFIX}*`) : 0;
      const pids = { server: isApp ? b.top.app.child.pid : b.top.bf.child.pid, driver: process.pid, emulator: b.top.emulator.pid };
      const result = await metered(pids, () => runFlows({ appBase, cookieName: 'cc.sid', agent }, vus, settings.warmupS, settings.measureS));
      agent.destroy();
      if (isApp) {
        appFlowsAll += result.completedAll;
        appSessionKeysAdded += (await countKeys(b.redis, `${SESSION_PREFIX}*`)) - before;
      }
      await clearRequests(b.top.emulatorUrl);
      return result;
    };
    const runs = await interleaved(settings.reps, () => run(b.top.app.url, true), () => run(b.top.bf.url, false));
    const m = (list: FlowRun[], key: 'flowsPerSec' | 'p50Ms' | 'p99Ms') => median(list.map((r) => r[key]));
    const errors = [...runs.a, ...runs.b].reduce((n, r) => n + r.errors, 0);
    const label = `${vus} VUs`;
    rows.push(
      atLeast(NAME, `flows/s, ${label}`, round(m(runs.a, 'flowsPerSec')), round(m(runs.b, 'flowsPerSec')), 0.8),
      atMost(NAME, `flow p99 ms, ${label}`, round(m(runs.a, 'p99Ms')), round(m(runs.b, 'p99Ms')), 2),
      info(NAME, `flow p50 ms, ${label}`, round(m(runs.a, 'p50Ms')), round(m(runs.b, 'p50Ms'))),
      info(NAME, `server process CPU (CPUs), ${label}; driver ${medianCpu(runs.a, 'driver')}, emulator ${medianCpu(runs.a, 'emulator')}`, medianCpu(runs.a, 'server'), medianCpu(runs.b, 'server')),
      check(NAME, `errors, ${label}`, errors),
      info(NAME, `session keys added per completed flow, ${label}`, round(appSessionKeysAdded / Math.max(1, appFlowsAll), 2)),
    );
    data[label] = { app: runs.a, bf: runs.b, appFlowsAll, appSessionKeysAdded };
  }
  return { rows, data };
}
