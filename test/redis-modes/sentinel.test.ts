// Redis Sentinel: one primary, one replica and three sentinels of the test's own
// (test/support/redis-topologies.ts), the core suite on them, and failovers: a graceful one that
// leaves the old primary running as a replica, then the primary killed in the middle of a refresh
// storm across two app instances (last: the group is left without a replica).
import request from 'supertest';
import Redis from 'ioredis';
import type { Response } from 'supertest';
import { redisReady } from '../../src/store/redis';
import { type Harness, connectThrough, startHarness } from '../support/harness';
import { type SentinelGroup, startSentinelGroup } from '../support/redis-topologies';
import { sessionCookie, sessionKey, storedConnection } from '../support/stored';
import { coreSuite, TWO_HOURS, type Topology } from './core-suite';

let group: SentinelGroup;
let h: Harness;
const clock = { now: Date.now() };
let topology: Topology;

beforeAll(async () => {
  group = await startSentinelGroup();
  topology = {
    env: group.env,
    outage: async () => {
      await Promise.all(group.servers.map((server) => server.kill()));
    },
    recover: async () => {
      for (const server of group.servers) await server.start(); // the primary first: it stays the primary
      await group.inSync();
      await redisReady(h.redis);
    },
  };
  h = await startHarness({ redisEnv: group.env, now: () => clock.now });
}, 30_000);
afterAll(async () => {
  await h?.close();
  await group?.stop();
});

describe('Redis Sentinel (1 primary, 1 replica, 3 sentinels)', () => {
  coreSuite(() => ({ h, topology, clock }));
});

describe('Redis Sentinel: failover', () => {
  const tokenRequests = () => h.emulator.control.requests().filter((r) => r.path === '/oauth/token');
  const connected = async () => {
    const agent = h.agent();
    const res = await connectThrough(agent, { separateAccount: true });
    expect(res.status).toBe(302);
    return { agent, cookie: sessionCookie(res) };
  };
  /** A response and how long it took. */
  const timed = async (sent: PromiseLike<Response>) => {
    const started = performance.now();
    const res = await sent;
    return { status: res.status, ms: performance.now() - started };
  };

  it('follows a graceful failover: writes go to the new primary, and the old one carries on as its replica', async () => {
    const { agent, cookie } = await connected();
    await group.inSync();
    await group.calm(); // the outage above may have left the sentinels winding down a failed failover
    const before = await group.primary();
    await askSentinel(group, 'FAILOVER', group.name);
    const after = await group.failedOverFrom(before);
    await group.inSync(); // the old primary has rejoined as the new one's replica

    // The sentinels closed every client connection of both servers: the app's client connects again,
    // through them, to the new primary (a server that answers role:slave is refused).
    await h.ready();
    clock.now += TWO_HOURS; // a refresh: the lock and the rotated tokens are written
    await agent.get('/calendars').expect(200);
    const connection = await storedConnection(h, cookie);
    const onNewPrimary = await read(after.address, (r) => r.get(sessionKey(cookie)));
    expect(onNewPrimary).not.toBeNull();
    expect(await read(before.address, (r) => r.info('replication'))).toMatch(/^role:slave/m);
    expect(h.emulator.control.liveGrants().find((g) => g.sub === connection?.sub)?.refresh_token).toBe(connection?.refresh_token);
  }, 60_000);

  it('H8: the primary killed during a refresh storm: afterwards every session works, one refresh each, no invalid_grant, no connection lost', async () => {
    const sessions = await Promise.all(Array.from({ length: 8 }, () => connected()));
    const other = h.secondInstance();
    await h.ready();
    await group.inSync(); // the replica has every session and token so far
    await group.calm();

    // Each session's one refresh reaches Cronofy and is parked there, its lock taken, while each
    // session's pages queue behind it on both instances.
    h.emulator.control.clearRequests();
    clock.now += TWO_HOURS;
    const holds = sessions.map(() => h.emulator.control.hold('/oauth/token', { method: 'POST' }));
    const storm = sessions.flatMap(({ cookie }) => [0, 1, 2, 3].map((i) => timed(request(i % 2 ? other : h.app).get('/calendars').set('Cookie', cookie))));
    await Promise.all(holds.map((hold) => hold.arrived));

    const primary = await group.primary();
    await primary.kill();
    for (const hold of holds) hold.release(); // Cronofy rotates the tokens while there is no primary
    // Pages asked for while there is no primary answer within seconds (a 503), never hang.
    const during = await Promise.all([timed(h.agent().get('/connect/individual')), timed(sessions[0]!.agent.get('/'))]);
    await group.failedOverFrom(primary);

    const answered = await Promise.all(storm);
    expect([...answered, ...during].filter((r) => r.status !== 200 && r.status !== 503)).toEqual([]);
    expect(during.every((r) => r.ms < 3000)).toBe(true);
    expect(answered.every((r) => r.ms < 10_000)).toBe(true); // the refresh lock runs 15 s: nobody waited it out

    // Afterwards: every session works on both instances, with the tokens of its one refresh.
    await h.ready();
    for (const { cookie } of sessions) {
      await request(h.app).get('/calendars').set('Cookie', cookie).expect(200);
      await request(other).get('/calendars').set('Cookie', cookie).expect(200);
    }
    expect(tokenRequests().map((r) => r.status)).toEqual(Array(8).fill(200));
    const live = new Map(h.emulator.control.liveGrants().map((grant) => [grant.sub, grant.refresh_token]));
    for (const { cookie } of sessions) {
      const connection = await storedConnection(h, cookie);
      expect(connection).not.toBeNull();
      expect(live.get(connection!.sub!)).toBe(connection!.refresh_token);
    }

    // And the stored refresh tokens are the live ones: the next refresh of each succeeds.
    h.emulator.control.clearRequests();
    clock.now += TWO_HOURS;
    for (const { agent } of sessions) await agent.get('/calendars').expect(200);
    expect(tokenRequests().map((r) => r.status)).toEqual(Array(8).fill(200));
  }, 60_000);
});

async function read<T>(address: string, work: (redis: Redis) => Promise<T>): Promise<T> {
  const [host, port] = address.split(':');
  const redis = new Redis({ host, port: Number(port), maxRetriesPerRequest: 1 });
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

async function askSentinel(group: SentinelGroup, ...args: string[]): Promise<unknown> {
  return read(group.sentinels[0]!.address, (r) => r.call('SENTINEL', ...args));
}
