// Checklist groups I (Cronofy failing) and J6 (refresh racing a disconnect), from
// docs/security-checklist.md: the emulator misbehaves on purpose, over real HTTP.
import { parse } from 'node-html-parser';
import { type Harness, connectThrough, connectedAgent, consent, csrfTokenFrom, pathOf, startHarness } from '../support/harness';
import { sessionCookie, storedConnection, tokensExist } from '../support/stored';

let h: Harness;
let clock = Date.now();
beforeAll(async () => {
  h = await startHarness({ now: () => clock });
});
afterAll(() => h.close());
beforeEach(async () => {
  clock = Date.now();
  h.emulator.control.reset();
  await h.clearQuotaHold();
});

const calls = (path: string) => h.emulator.control.requests().filter((r) => r.path === path);
const refreshes = () => calls('/oauth/token').filter((r) => (r.body as { grant_type?: string }).grant_type === 'refresh_token');

const connected = () => connectedAgent(h);

describe('I. Cronofy failing', () => {
  it('I2: a 403 gets a page naming the missing permission and offering to connect again, with no refresh and no retry', async () => {
    const agent = await connected();
    h.emulator.control.failNext('/v1/calendars', { status: 403, body: { error: 'forbidden' } });
    const page = parse((await agent.get('/calendars').expect(403)).text);
    expect(page.querySelector('h1')?.text).toBe('A permission is missing: list_calendars');
    expect(page.querySelector('main')?.text).toContain('Cronofy did not let the app list the calendars: the connection was granted without the list_calendars permission.');
    expect(page.querySelectorAll('main a').map((a) => [a.getAttribute('href'), a.text.trim()])).toEqual(
      expect.arrayContaining([['/connect/individual', 'Connect your calendar again']]),
    );
    expect(refreshes()).toHaveLength(0);
    expect(calls('/v1/calendars')).toHaveLength(1);
  });

  it('I2: a 403 while acting for a member says Cronofy would not act for them, and offers to connect the organization again', async () => {
    const agent = h.agent();
    expect((await connectThrough(agent, { kind: 'organization' })).status).toBe(302);
    const member = parse((await agent.get('/organization').expect(200)).text).querySelector('a[href^="/organization/members/"]')!.getAttribute('href')!;
    h.emulator.control.clearRequests();
    h.emulator.control.failNext('/v1/userinfo', { status: 403, body: {} });
    const page = parse((await agent.get(member).expect(403)).text);
    expect(page.querySelector('h1')?.text).toBe('Cronofy refused this request');
    expect(page.querySelector('main')?.text).toContain('Cronofy did not let the app act for this member');
    expect(page.querySelectorAll('main a').map((a) => a.getAttribute('href'))).toContain('/connect/organization');
    expect(refreshes()).toHaveLength(0);
    expect(calls('/v1/userinfo')).toHaveLength(1);
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

describe('I5. Cronofy not answering', () => {
  // Its own app with a short Cronofy deadline (the harness's is long, for busy machines).
  let slow: Harness;
  beforeAll(async () => {
    slow = await startHarness({ env: { CRONOFY_TIMEOUT_MS: '3000' } });
  });
  afterAll(() => slow.close());
  const slowCalls = (path: string) => slow.emulator.control.requests().filter((r) => r.path === path);

  it('I5: a Cronofy that never answers gets a clear page within the timeout; a code exchange is tried once', async () => {
    const agent = slow.agent();
    expect((await connectThrough(agent, { separateAccount: true })).status).toBe(302);
    slow.emulator.control.clearRequests();
    // Held and never released: only the app's own deadline (CRONOFY_TIMEOUT_MS) ends the wait.
    slow.emulator.control.hold('/v1/calendars');
    const res = await agent.get('/calendars').expect(503);
    expect(res.text).toContain('Cronofy is not answering');
    expect(slowCalls('/v1/calendars')).toHaveLength(1); // the deadline left no time for a retry

    const fresh = slow.agent();
    const start = await fresh.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    slow.emulator.control.clearRequests();
    slow.emulator.control.hold('/oauth/token');
    await fresh.get(pathOf(back)).expect(503);
    expect(slowCalls('/oauth/token')).toHaveLength(1);
  });
});

describe('J. refresh racing a disconnect', () => {
  /** A connected browser whose access token has expired, its CSRF token, and its stored connection. */
  async function connectedAndExpired() {
    const agent = h.agent();
    const cookie = sessionCookie(await connectThrough(agent, { separateAccount: true }));
    const connection = (await storedConnection(h, cookie))!;
    const csrf = await csrfTokenFrom(agent, '/');
    h.emulator.control.clearRequests();
    clock += 2 * 60 * 60 * 1000;
    return { agent, connection, csrf };
  }

  /** Starts GET /calendars and resolves once its refresh is parked at the emulator. */
  async function calendarsWithRefreshParked(agent: ReturnType<Harness['agent']>) {
    const refresh = h.emulator.control.hold('/oauth/token', { method: 'POST' });
    const page = agent.get('/calendars').then((res) => res); // supertest sends on then()
    expect((await refresh.arrived).body).toMatchObject({ grant_type: 'refresh_token' });
    return { refresh, page };
  }

  const revokedTokens = () => calls('/oauth/token/revoke').map((r) => (r.body as { token: string }).token);

  it('J6: a refresh Cronofy answers after the disconnect revoked the grant brings no tokens back', async () => {
    const { agent, connection, csrf } = await connectedAndExpired();
    const { refresh, page } = await calendarsWithRefreshParked(agent);

    await agent.post('/disconnect').type('form').send({ _csrf: csrf }).expect(302).expect('Location', '/');
    expect(await tokensExist(h, connection.id)).toBe(false);
    refresh.release(); // Cronofy now sees a refresh token of a revoked grant: invalid_grant

    const calendars = await page;
    expect(calendars.status).toBe(401);
    expect(calendars.text).toContain('Please connect your calendar again');
    expect(calls('/oauth/token').map((r) => r.status)).toEqual([400]);
    expect(revokedTokens()).toEqual([connection.refresh_token]);
    expect(await tokensExist(h, connection.id)).toBe(false);
    await agent.get('/calendars').expect(302).expect('Location', '/?notice=connect-calendar');
  });

  it('J6: new tokens from a refresh that Cronofy granted before the disconnect are revoked, not stored', async () => {
    const { agent, connection, csrf } = await connectedAndExpired();
    const { refresh, page } = await calendarsWithRefreshParked(agent);

    await agent.post('/disconnect').type('form').send({ _csrf: csrf }).expect(302).expect('Location', '/');
    // Cronofy handled the refresh before the revoke; only its answer is late.
    const late = { token_type: 'bearer', access_token: 'late-access-token', refresh_token: 'late-refresh-token', expires_in: 3600, scope: connection.scope };
    refresh.release({ status: 200, body: late });

    const calendars = await page;
    expect(calendars.status).toBe(401);
    expect(calendars.text).not.toContain(late.access_token);
    expect(revokedTokens()).toEqual([connection.refresh_token, late.refresh_token]);
    expect(await tokensExist(h, connection.id)).toBe(false);
    expect(calls('/v1/calendars')).toHaveLength(0);
    await agent.get('/calendars').expect(302).expect('Location', '/?notice=connect-calendar');
  });
});
