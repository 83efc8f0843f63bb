// S5: growth. p99 of the S1 page at a fixed rate the app can sustain (60% of its own S1 max, so
// that queueing from overload does not hide the effect of Redis size) with ~100 and with 100,000 sessions in Redis
// (dummy copies of the real session under the app's prefix, added and removed between runs so the
// two sizes are interleaved), Redis bytes per connected session, app process RSS.
import { SESSION_IDLE_MS, SESSION_PREFIX } from '../../src/session';
import type { Bench, Row, ScenarioResult } from '../lib/bench';
import { dial, info, interleaved } from '../lib/bench';
import { paced, type LoadResult } from '../lib/load';
import { rssKb } from '../lib/processes';
import { addDummySessions, countKeys, deleteKeys, DUMMY_MARK, memoryUsage, redisInfo } from '../lib/redis-tools';
import { sessionIdOf } from '../lib/session-setup';
import { median, round } from '../lib/stats';

const NAME = 'S5 growth';
const SMALL = 100;

export interface SessionFootprint {
  sessionBytes: number;
  tokenBytes: number;
  inspectorBytes: number;
  inspectorSteps: number;
  sessionValueLength: number;
}

export async function footprint(b: Bench): Promise<SessionFootprint> {
  const sessionKey = SESSION_PREFIX + sessionIdOf(b.appCookie);
  const raw = await b.redis.get(sessionKey);
  if (!raw) throw new Error('the connected session is not in Redis');
  const session = JSON.parse(raw) as { connections?: { individual?: string }; inspectorId?: string };
  const tokenKey = `cronofy-connect:connection:${session.connections?.individual ?? ''}`;
  const inspectorKey = `cronofy-connect:inspector:${session.inspectorId ?? ''}`;
  return {
    sessionBytes: await memoryUsage(b.redis, sessionKey),
    tokenBytes: await memoryUsage(b.redis, tokenKey),
    inspectorBytes: await memoryUsage(b.redis, inspectorKey),
    inspectorSteps: await b.redis.llen(inspectorKey),
    sessionValueLength: raw.length,
  };
}

export async function growthScenario(b: Bench): Promise<ScenarioResult> {
  const { settings } = b;
  const sessionValue = (await b.redis.get(SESSION_PREFIX + sessionIdOf(b.appCookie))) ?? '{}';
  const ttlS = SESSION_IDLE_MS / 1000;
  const existing = await countKeys(b.redis, `${SESSION_PREFIX}*`);
  const smallDummies = Math.max(0, SMALL - existing);
  const bigDummies = Math.max(0, settings.growthSessions - existing);
  const opts = { headers: { cookie: b.appCookie }, warmupS: settings.warmupS, measureS: settings.measureS };
  const url = dial(`${b.top.appA.url}/`);
  const memoryBefore = (await redisInfo(b.redis)).usedMemory;
  let fillMs = 0;
  let memoryFull = memoryBefore;

  const at = async (dummies: number): Promise<LoadResult & { sessions: number }> => {
    await deleteKeys(b.redis, `${SESSION_PREFIX}${DUMMY_MARK}*`);
    const fillStart = performance.now();
    await addDummySessions(b.redis, SESSION_PREFIX, sessionValue, dummies, ttlS);
    if (dummies > SMALL) {
      fillMs = performance.now() - fillStart;
      memoryFull = (await redisInfo(b.redis)).usedMemory;
    }
    const sessions = await countKeys(b.redis, `${SESSION_PREFIX}*`);
    return { ...(await paced(url, b.appRate, settings.connections, opts)), sessions };
  };

  b.progress(`S5 paced ${b.appRate}/s with ~${SMALL} and ${settings.growthSessions} sessions, ${settings.reps} reps`);
  const runs = await interleaved(settings.reps, () => at(smallDummies), () => at(bigDummies));
  await deleteKeys(b.redis, `${SESSION_PREFIX}${DUMMY_MARK}*`);

  const fp = await footprint(b);
  const rss = rssKb(b.top.appA.child.pid);
  const p99 = (list: LoadResult[]) => round(median(list.map((r) => r.p99Ms)));
  const rows: Row[] = [
    info(NAME, `S1 p99 ms @ ${b.appRate}/s (paced): ${settings.growthSessions} vs ~${SMALL} sessions`, p99(runs.b), p99(runs.a)),
    info(NAME, 'Redis bytes per connected session: session + token keys', fp.sessionBytes + fp.tokenBytes),
    info(NAME, `+ inspector timeline (${fp.inspectorSteps} steps) of the same session`, fp.inspectorBytes),
    info(NAME, 'Redis used_memory per dummy session (bytes)', round((memoryFull - memoryBefore) / Math.max(1, bigDummies), 0)),
    info(NAME, 'app A RSS MB after S1, S2, S5', rss === null ? 'n/a' : round(rss / 1024)),
  ];
  return {
    rows,
    data: { small: runs.a, big: runs.b, footprint: fp, redisUsedMemory: { before: memoryBefore, full: memoryFull }, fillMs, appRssKb: rss },
  };
}
