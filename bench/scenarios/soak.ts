// soak (`npm run bench -- soak`): the app alone at half its own maximum rate for 10 minutes, on a
// mix of the home page and the calendars page (3:1) across 20 connected sessions, with the read
// cache at its default (30 s) as in production. Memory is measured after a warm-up at the same
// rate and again at the end: the app's RSS and the bytes its keys take in Redis must stay within
// 10%, and the app must log no error line.
import { dial, type Row, check, info, atMost } from '../lib/bench';
import { connectOnce } from '../flow-driver';
import { newAgent, send } from '../lib/http';
import { closedLoop, paced, type Target } from '../lib/load';
import { rssKb } from '../lib/processes';
import { keyspaceMemory } from '../lib/redis-tools';
import { round } from '../lib/stats';
import type Redis from 'ioredis';
import type { Topology } from '../lib/topology';

export interface SoakSettings {
  sessions: number;
  /** Share of the app's measured maximum rate. */
  rateShare: number;
  warmupS: number;
  soakS: number;
  /** How often RSS is sampled during the soak. */
  sampleEveryS: number;
}

export function soakSettingsFromEnv(env: NodeJS.ProcessEnv, defaults: Partial<SoakSettings> = {}): SoakSettings {
  const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
  return {
    sessions: 20,
    rateShare: 0.5,
    warmupS: num('BENCH_SOAK_WARMUP_S', defaults.warmupS ?? 60),
    soakS: num('BENCH_SOAK_S', defaults.soakS ?? 600),
    sampleEveryS: defaults.sampleEveryS ?? 30,
  };
}

const NAME = 'soak';
const MIX = ['/', '/', '/', '/calendars'];

export async function soakScenario(top: Topology, redis: Redis, settings: SoakSettings, progress: (line: string) => void): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const agent = newAgent(settings.sessions);
  const cookies = await Promise.all(Array.from({ length: settings.sessions }, () => connectOnce({ appBase: top.app.url, cookieName: 'cc.sid', agent })));
  for (const cookie of cookies) {
    const page = await send(`${top.app.url}/calendars`, { agent, headers: { cookie } });
    if (page.status !== 200) throw new Error(`soak: GET /calendars answered ${page.status}`);
  }
  agent.destroy();
  const base = dial(top.app.url);
  const targets: Target[] = cookies.flatMap((cookie) => MIX.map((path) => ({ url: `${base}${path}`, headers: { cookie } })));

  progress(`soak: the app's maximum rate on the mix (closed loop, 5 s)`);
  const max = await closedLoop(base, 50, {
    headers: {},
    warmupS: 2,
    measureS: 5,
    requests: targets.map((t) => ({ method: 'GET', path: new URL(t.url).pathname, headers: t.headers })),
  });
  const rate = Math.max(1, Math.round(max.rps * settings.rateShare));
  const load = (seconds: number) => paced(targets, rate, 50, { headers: {}, warmupS: 0, measureS: seconds });

  progress(`soak: warm-up ${settings.warmupS} s at ${rate}/s`);
  const warm = await load(settings.warmupS);
  const rssWarm = rssKb(top.app.child.pid) ?? 0;
  const redisWarm = await keyspaceMemory(redis);

  progress(`soak: ${settings.soakS} s at ${rate}/s`);
  const samples: { atS: number; rssMb: number }[] = [];
  const started = performance.now();
  const sampler = setInterval(() => {
    samples.push({ atS: Math.round((performance.now() - started) / 1000), rssMb: round((rssKb(top.app.child.pid) ?? 0) / 1024) });
  }, settings.sampleEveryS * 1000);
  const soak = await load(settings.soakS).finally(() => clearInterval(sampler));
  const rssEnd = rssKb(top.app.child.pid) ?? 0;
  const redisEnd = await keyspaceMemory(redis);
  const errorLines = top.app.child.errorLog().count;

  const rows: Row[] = [
    info(NAME, `rate (req/s): ${settings.rateShare * 100}% of the app's max on the mix (${round(max.rps, 0)}/s)`, rate),
    info(NAME, `requests served in ${settings.soakS} s; p50 / p99 ms`, soak.requests, `${round(soak.p50Ms)} / ${round(soak.p99Ms)}`),
    atMost(NAME, 'app RSS MB: after the soak vs after the warm-up', round(rssEnd / 1024), round(rssWarm / 1024), 1.1),
    atMost(NAME, "bytes of the app's Redis keys: after vs after the warm-up", redisEnd.bytes, redisWarm.bytes, 1.1),
    info(NAME, "the app's Redis keys: after vs after the warm-up", redisEnd.keys, redisWarm.keys),
    check(NAME, 'failed requests (warm-up and soak)', warm.failures + soak.failures),
    check(NAME, 'error-level lines in the app log', errorLines),
  ];
  return {
    rows,
    data: { max, rate, warm, soak: { ...soak, failureKinds: soak.failureKinds }, rssKb: { warm: rssWarm, end: rssEnd }, redis: { warm: redisWarm, end: redisEnd }, rssSamples: samples },
  };
}
