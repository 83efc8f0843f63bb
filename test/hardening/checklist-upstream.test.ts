// Checklist groups I (Cronofy failing) and J6 (refresh racing a disconnect), from
// docs/security-checklist.md: the emulator misbehaves on purpose, over real HTTP.
import { SESSION_PREFIX } from '../../src/session';
import { type Harness, connectThrough, consent, csrfTokenFrom, pathOf, startHarness } from '../support/harness';

let h: Harness;
let clock = Date.now();
beforeAll(async () => {
  h = await startHarness({ now: () => clock, env: { CRONOFY_TIMEOUT_MS: '3000' } });
});
afterAll(() => h.close());
beforeEach(async () => {
  clock = Date.now();
  h.emulator.control.reset();
  await h.clearQuotaHold();
});

const calls = (path: string) => h.emulator.control.requests().filter((r) => r.path === path);
const refreshes = () => calls('/oauth/token').filter((r) => (r.body as { grant_type?: string }).grant_type === 'refresh_token');

async function connected() {
  const agent = h.agent();
  expect((await connectThrough(agent)).status).toBe(302);
  h.emulator.control.clearRequests();
  return agent;
}

describe('I. Cronofy failing', () => {
  it('I2: a 403 gets a page about the missing permission, with no refresh and no retry', async () => {
    const agent = await connected();
    h.emulator.control.failNext('/v1/calendars', { status: 403, body: { error: 'forbidden' } });
    const res = await agent.get('/calendars').expect(403);
    expect(res.text).toContain('Cronofy refused this request');
    expect(refreshes()).toHaveLength(0);
    expect(calls('/v1/calendars')).toHaveLength(1);
  });

  it('I3: a 429 with a short Retry-After is waited out once; a long one is passed on to the person', async () => {
    const agent = await connected();
    h.emulator.control.failNext('/v1/calendars', { status: 429, headers: { 'Retry-After': '1' } });
    await agent.get('/calendars').expect(200);
    expect(calls('/v1/calendars')).toHaveLength(2);

    h.emulator.control.clearRequests();
    h.emulator.control.failNext('/v1/calendars', { status: 429, headers: { 'Retry-After': '120' } });
    const res = await agent.get('/calendars').expect(429);
    expect(res.headers['retry-after']).toBe('60'); // bounded: the longest hold the app keeps
    expect(res.text).toContain('Too many requests to Cronofy');
    expect(calls('/v1/calendars')).toHaveLength(1);
  });

  it('I3: a 429 without Retry-After is retried a bounded number of times', async () => {
    const agent = await connected();
    h.emulator.control.failNext('/v1/calendars', { status: 429, times: 10 });
    await agent.get('/calendars').expect(429);
    expect(calls('/v1/calendars')).toHaveLength(3);
  });

  it('I4: a 503 on a GET is retried with backoff, at most twice, and the session survives', async () => {
    const agent = await connected();
    h.emulator.control.failNext('/v1/calendars', { status: 503 });
    await agent.get('/calendars').expect(200);
    expect(calls('/v1/calendars')).toHaveLength(2);

    h.emulator.control.clearRequests();
    h.emulator.control.failNext('/v1/calendars', { status: 502, times: 10 });
    const res = await agent.get('/calendars').expect(503);
    expect(res.text).toContain('Cronofy is not answering');
    expect(calls('/v1/calendars')).toHaveLength(3);
    h.emulator.control.reset();
  });

  it('I5: a Cronofy that never answers gets a clear page within the timeout; a code exchange is tried once', async () => {
    const agent = await connected();
    h.emulator.control.failNext('/v1/calendars', { delayMs: 5000, times: 3 });
    const res = await agent.get('/calendars').expect(503);
    expect(res.text).toContain('Cronofy is not answering');

    const fresh = h.agent();
    const start = await fresh.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    h.emulator.control.clearRequests();
    h.emulator.control.failNext('/oauth/token', { delayMs: 5000 });
    await fresh.get(pathOf(back)).expect(503);
    expect(calls('/oauth/token')).toHaveLength(1);
  });

  it.each([
    ['calendars that are not a list', { calendars: 'nope' }],
    ['more than 1 MB', { calendars: [{ calendar_id: 'x'.repeat(1_100_000) }] }],
  ])('I6: an answer with %s gets a clear 502 page, without a retry or a crash', async (_name, body) => {
    const agent = await connected();
    h.emulator.control.failNext('/v1/calendars', { status: 200, body });
    const res = await agent.get('/calendars').expect(502);
    expect(res.text).toContain('Cronofy gave an unexpected answer');
    expect(calls('/v1/calendars')).toHaveLength(1);
    await agent.get('/calendars').expect(200);
  });
});

describe('J. refresh racing a disconnect', () => {
  it('J6: a refresh still in flight when the person disconnects brings no tokens back', async () => {
    const agent = h.agent();
    const callback = await connectThrough(agent);
    const sid = decodeURIComponent(String(callback.headers['set-cookie']).split(';')[0]!.slice('cc.sid='.length)).slice(2).split('.')[0]!;
    const { connections } = JSON.parse((await h.redis.get(SESSION_PREFIX + sid))!) as { connections: { individual: string } };
    const tokenKey = `cronofy-connect:connection:${connections.individual}`;
    const token = await csrfTokenFrom(agent, '/');
    h.emulator.control.clearRequests();

    clock += 2 * 60 * 60 * 1000;
    h.emulator.control.failNext('/oauth/token', { delayMs: 600 }); // well inside the page's 3 s deadline, which also covers the calendars call
    const page = agent.get('/calendars');
    const refreshStarted = new Promise<void>((resolve) => {
      const check = () => (refreshes().length > 0 ? resolve() : setImmediate(check));
      check();
    });
    const disconnect = refreshStarted.then(() => agent.post('/disconnect').type('form').send({ _csrf: token }).expect(302));
    const [calendars] = await Promise.all([page, disconnect]);

    // 401 (reconnect) when the refresh lands after the disconnect, as intended; 302/200 if it won the race.
    expect([200, 302, 401]).toContain(calendars.status);
    expect(await h.redis.exists(tokenKey)).toBe(0);
    await agent.get('/calendars').expect(302).expect('Location', '/?notice=connect-calendar');
    expect(calls('/oauth/token/revoke').length).toBeGreaterThanOrEqual(1);
  });
});
