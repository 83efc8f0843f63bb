// Checklist group H: Redis unavailable. A real redis-server of the test's own is stopped and
// started again; the app must answer fast with a clear 503, never redirect to Cronofy with a state
// it could not save, never exchange a code it cannot check, and recover without a restart.
import request from 'supertest';
import { type Harness, connectThrough, consent, pathOf, startHarness } from '../support/harness';
import { type OwnRedis, startOwnRedis } from '../support/redis-server';

// Each storage step of a request meets the outage in turn (ioredis gives a command up after one
// failed reconnect), so a page can take several seconds to answer its 503.
jest.setTimeout(60_000);

let redis: OwnRedis;
let h: Harness;

beforeAll(async () => {
  redis = await startOwnRedis();
  h = await startHarness({ redisUrl: redis.url });
});
afterAll(async () => {
  await h.close();
  await redis.stop();
});

const ready = () =>
  h.redis.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => h.redis.once('ready', () => resolve()));

/** Redis running and the app's client connected to it: a no-op when all is well. */
async function restart() {
  redis.thaw();
  await redis.start();
  await ready();
}

const tokenRequests = () => h.emulator.control.requests().filter((r) => r.path === '/oauth/token');

describe('Redis outage', () => {
  beforeEach(() => h.emulator.control.clearRequests());
  // Whatever a test did to Redis and however it ended, the next one starts with Redis back.
  afterEach(() => restart());

  it('H1: answers 503 at /connect and does not send the browser to Cronofy', async () => {
    await redis.stop();
    const res = await h.agent().get('/connect/individual').expect(503);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('Session storage is unavailable');
    expect(res.headers['retry-after']).toBe('5');
  });

  it('H2: makes no token request when the session cannot be read at the callback', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    await redis.stop();
    await agent.get(pathOf(back)).expect(503);
    expect(tokenRequests()).toHaveLength(0);
  });

  it('H3: when Redis fails after the token exchange, answers 503 and gives the tokens back to Cronofy', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    const exchange = h.emulator.control.hold('/oauth/token', { method: 'POST' });
    const callback = agent.get(pathOf(back)).then((res) => res); // supertest sends on then()
    expect((await exchange.arrived).body).toMatchObject({ grant_type: 'authorization_code' });
    await redis.stop(); // while Cronofy is still answering the code exchange
    exchange.release();
    const res = await callback;
    expect(res.status).toBe(503);
    expect(res.text).toContain('Session storage is unavailable');
    expect(res.text).not.toMatch(/access_token|refresh_token/);
    expect(tokenRequests().map((r) => r.status)).toEqual([200]);
    const revokes = h.emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke');
    // Tokens that could not be stored are given back by sub (docs/decisions/010-sign-in-by-cronofy-account.md).
    expect(revokes).toEqual([expect.objectContaining({ status: 200, body: expect.objectContaining({ sub: expect.stringMatching(/^acc_/) }) })]);
  });

  it('H4: answers 503 on pages and /readyz, without a stack trace, and the process keeps serving', async () => {
    const agent = h.agent();
    expect((await connectThrough(agent)).status).toBe(302);
    await redis.stop();
    const page = await agent.get('/calendars').expect(503);
    expect(page.text).toContain('Session storage is unavailable');
    expect(page.text).not.toMatch(/at .*\.js:\d+|Error:/);
    await request(h.app).get('/readyz').expect(503);
    await request(h.app).get('/healthz').expect(200);
  });

  it('H6: a Redis that stops answering gets a 503 after the command timeout, then recovers', async () => {
    // An app of its own with a short command timeout; the harness's is long, for busy machines.
    const hung = await startHarness({ redisUrl: redis.url, env: { REDIS_COMMAND_TIMEOUT_MS: '3000' } });
    try {
      redis.freeze(); // connections stay open and nothing answers: only the timeout ends the request
      const res = await request(hung.app).get('/connect/individual');
      expect(res.status).toBe(503);
      expect(res.text).toContain('Session storage is unavailable');
      redis.thaw();
      await request(hung.app).get('/connect/individual').expect(302);
    } finally {
      redis.thaw();
      await hung.close();
    }
  });

  it('H7: the first request through a rate limiter after Redis returns succeeds', async () => {
    await request(h.app).get('/connect/individual').expect(302); // the limiter's script is loaded
    await redis.stop();
    await request(h.app).get('/connect/individual').expect(503);
    await request(h.app).get('/connect/individual').expect(503);
    // Commands queued during the outage fail in order: once this one has, so has anything the
    // limiter sent before it (a script load that would otherwise finish when Redis returns).
    await h.redis.ping().catch(() => undefined);
    await restart();
    await request(h.app).get('/connect/individual').expect(302);
  });

  it('H5: works again once Redis is back, with no restart of the app', async () => {
    await redis.stop();
    await request(h.app).get('/readyz').expect(503);
    await restart();
    await request(h.app).get('/readyz').expect(200);
    await h.agent().get('/connect/individual').expect(302);
  });
});
