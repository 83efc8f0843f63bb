// The core suite, run against each Redis mode (cluster.test.ts, sentinel.test.ts) on servers the
// test file starts: connect, a refresh storm across two app instances, disconnect, rate limits
// shared across instances, an outage and the recovery from it. The same app code runs in every
// mode; only the configuration (REDIS_CLUSTER_NODES, REDIS_SENTINELS...) differs.
import request from 'supertest';
import { type Harness, connectThrough, csrfTokenFrom, startHarness } from '../support/harness';
import { sessionCookie, storedConnection, tokensExist } from '../support/stored';

export interface Topology {
  /** The app's Redis configuration. */
  env: Record<string, string>;
  /** Kills every Redis server (the sentinels, if any, stay). */
  outage(): Promise<void>;
  /** Starts them again (with their data) and resolves once Redis serves again. */
  recover(): Promise<void>;
}

export const TWO_HOURS = 2 * 60 * 60 * 1000;

/** Registers the core tests; `current()` gives what the file's beforeAll started. */
export function coreSuite(current: () => { h: Harness; topology: Topology; clock: { now: number } }) {
  const refreshes = (h: Harness) =>
    h.emulator.control.requests().filter((r) => r.path === '/oauth/token' && (r.body as { grant_type?: string }).grant_type === 'refresh_token');

  /** A browser connected to its own Cronofy account, and its session cookie. */
  async function connected(h: Harness) {
    const agent = h.agent();
    const cookie = sessionCookie(await connectThrough(agent, { separateAccount: true }).then((res) => (expect(res.status).toBe(302), res)));
    return { agent, cookie };
  }

  it('connects: the session and the tokens are stored, and the calendars page lists the calendars', async () => {
    const { h } = current();
    const { agent, cookie } = await connected(h);
    expect((await agent.get('/calendars').expect(200)).text).toContain('Calendars');
    const connection = await storedConnection(h, cookie);
    expect(connection?.refresh_token).toEqual(expect.any(String));
  });

  it('a refresh storm across two instances refreshes each connection once, and every request succeeds', async () => {
    const { h, clock } = current();
    const sessions = await Promise.all(Array.from({ length: 8 }, () => connected(h)));
    const other = h.secondInstance();
    await h.ready();
    h.emulator.control.clearRequests();
    clock.now += TWO_HOURS;
    const results = await Promise.all(
      sessions.flatMap(({ cookie }) => Array.from({ length: 6 }, (_, i) => request(i % 2 ? other : h.app).get('/calendars').set('Cookie', cookie))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(48).fill(200));
    expect(refreshes(h)).toHaveLength(8);
    expect(refreshes(h).every((r) => r.status === 200)).toBe(true);
    for (const { cookie } of sessions) {
      const after = await storedConnection(h, cookie);
      expect(refreshes(h).map((r) => (r.body as { refresh_token: string }).refresh_token)).not.toContain(after?.refresh_token); // the rotated one was kept
    }
  });

  it('disconnect revokes at Cronofy and forgets the tokens', async () => {
    const { h } = current();
    const { agent, cookie } = await connected(h);
    const connection = (await storedConnection(h, cookie))!;
    h.emulator.control.clearRequests();
    await agent.post('/disconnect').type('form').send({ _csrf: await csrfTokenFrom(agent, '/') }).expect(302);
    expect(h.emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke')).toEqual([
      expect.objectContaining({ status: 200, body: expect.objectContaining({ token: connection.refresh_token }) }),
    ]);
    expect(await tokensExist(h, connection.id)).toBe(false);
  });

  it('rate limits are counted once across two instances', async () => {
    const { topology } = current();
    const limited = await startHarness({
      redisEnv: topology.env,
      rateLimits: { connectPerMinute: 3, postPerMinute: 100, prefix: `test-rl:modes:${Math.random().toString(36).slice(2)}:` },
    });
    try {
      const other = limited.secondInstance({ revocationWorker: false });
      await limited.ready();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await request(i % 2 ? other : limited.app).get('/connect/individual')).status);
      expect(statuses).toEqual([302, 302, 302, 429]);
    } finally {
      await limited.close();
    }
  });

  it('an outage answers 503 pages, and everything works again when Redis returns, with no restart', async () => {
    const { h, topology } = current();
    const { agent } = await connected(h);
    await topology.outage();
    try {
      const page = await agent.get('/calendars').expect(503);
      expect(page.text).toContain('Session storage is unavailable');
      await request(h.app).get('/readyz').expect(503);
      await h.agent().get('/connect/individual').expect(503);
    } finally {
      await topology.recover();
    }
    await agent.get('/calendars').expect(200); // the session and its tokens came back with Redis
    await request(h.app).get('/readyz').expect(200);
  }, 60_000); // servers restarted and resynchronised
}
