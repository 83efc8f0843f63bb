// Checklist groups D (CSRF), E (sessions), F (leaks) and L (size and encoding abuse), from
// docs/security-checklist.md, against the real app on real Redis.
import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { SESSION_PREFIX } from '../../src/session';
import { MAX_PENDING_PER_SESSION } from '../../src/connections/state-store';
import { sessionCookie, sessionData, sessionIdOf } from '../support/stored';
import { type Harness, connectThrough, consent, csrfTokenFrom, pathOf, startHarness } from '../support/harness';

let h: Harness;
let clock = Date.now();
beforeAll(async () => {
  h = await startHarness({ now: () => clock });
});
afterAll(() => h.close());
beforeEach(() => {
  clock = Date.now();
  h.emulator.control.clearRequests();
});


async function connected() {
  const agent = h.agent();
  const res = await connectThrough(agent);
  expect(res.status).toBe(302);
  return { agent, sid: sessionIdOf(sessionCookie(res)) };
}

describe('D. CSRF on the app’s own forms', () => {
  it.each(['/disconnect', '/logout', '/permissions'])('D1: refuses POST %s without the token, changing nothing', async (path) => {
    const { agent } = await connected();
    const res = await agent.post(path).type('form').send({ calendar_id: 'x' }).expect(403);
    expect(res.text).toContain('This form could not be accepted');
    await agent.get('/calendars').expect(200);
  });

  it('D2: refuses a token from another session, and a token from before the session was renewed', async () => {
    const victim = await connected();
    const other = await connected();
    const othersToken = await csrfTokenFrom(other.agent, '/');
    await victim.agent.post('/logout').type('form').send({ _csrf: othersToken }).expect(403);

    const { agent } = await connected();
    const stale = await csrfTokenFrom(agent, '/');
    expect((await connectThrough(agent)).status).toBe(302); // connecting again regenerates the session
    await agent.post('/logout').type('form').send({ _csrf: stale }).expect(403);
    await agent.get('/calendars').expect(200);
  });

  it.each([
    ['Origin', 'https://evil.com'],
    ['Sec-Fetch-Site', 'cross-site'],
    ['Sec-Fetch-Site', 'same-site'],
  ])('D3: refuses a POST with %s: %s even with a valid token', async (header, value) => {
    const { agent } = await connected();
    const token = await csrfTokenFrom(agent, '/');
    await agent.post('/logout').set(header, value).type('form').send({ _csrf: token }).expect(403);
    await agent.get('/calendars').expect(200);
  });

  it('D3: accepts Origin: null with Sec-Fetch-Site: same-origin (what browsers send under no-referrer), refuses it otherwise', async () => {
    const { agent } = await connected();
    const token = await csrfTokenFrom(agent, '/');
    await agent.post('/disconnect').set('Origin', 'null').type('form').send({ _csrf: token }).expect(403);
    await agent.post('/disconnect').set('Origin', 'null').set('Sec-Fetch-Site', 'same-origin').type('form').send({ _csrf: token }).expect(302);
  });

  it('D3: accepts a same-origin POST with Origin: <app origin> and no Fetch Metadata (browsers without Sec-Fetch-*), under Referrer-Policy: same-origin', async () => {
    const { agent } = await connected();
    const home = await agent.get('/').expect(200);
    expect(home.headers['referrer-policy']).toBe('same-origin'); // so such browsers send the real Origin, not null
    const token = await csrfTokenFrom(agent, '/');
    await agent.post('/disconnect').set('Origin', 'http://app.test').type('form').send({ _csrf: token }).expect(302);
  });

  it.each(['/logout', '/disconnect'])('D4: changes nothing on GET %s', async (path) => {
    const { agent } = await connected();
    await agent.get(path).expect(404);
    await agent.get('/calendars').expect(200);
    expect(h.emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke')).toHaveLength(0);
  });

  it('D5: starts a flow from a plain link (a form redirecting to Cronofy would trip form-action)', async () => {
    const home = await h.agent().get('/').expect(200);
    expect(home.text).toContain('<a class="button" href="/connect/individual">');
    expect(home.text).toContain('<a class="button" href="/connect/organization">');
  });
});

describe('E. session lifecycle', () => {
  it('E2: treats a tampered, unsigned or unknown session cookie as no session, and never adopts the id', async () => {
    const { sid } = await connected();
    const cookies = [`cc.sid=s%3A${sid}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, `cc.sid=${sid}`, 'cc.sid=s%3Aattacker-chosen-id.sig'];
    for (const cookie of cookies) {
      const page = await request(h.app).get('/calendars').set('Cookie', cookie);
      expect(page.status).toBe(302);
      const start = await request(h.app).get('/connect/individual').set('Cookie', cookie).expect(302);
      const fresh = sessionIdOf(sessionCookie(start));
      expect(fresh).toBeDefined();
      expect(fresh).not.toBe(sid);
      expect(fresh).not.toBe('attacker-chosen-id');
    }
  });

  it('E4: does not trust X-Forwarded-Proto without TRUST_PROXY', async () => {
    const strict = await startHarness({ env: { APP_BASE_URL: 'https://app.test' } });
    try {
      const res = await strict.agent().get('/connect/individual').set('X-Forwarded-Proto', 'https').expect(302);
      expect(res.headers['set-cookie']).toBeUndefined(); // a Secure cookie is never sent over what the app sees as http
    } finally {
      await strict.close();
    }
  });

  it('E5: keeps a session in Redis for 30 idle minutes at most, renewed by use; expired means signed out', async () => {
    const { agent, sid } = await connected();
    const key = SESSION_PREFIX + sid;
    expect(await h.redis.ttl(key)).toBeGreaterThan(1700);
    expect(await h.redis.ttl(key)).toBeLessThanOrEqual(1800);
    await h.redis.expire(key, 100);
    await agent.get('/calendars').expect(200);
    expect(await h.redis.ttl(key)).toBeGreaterThan(1700);
    await h.redis.del(key); // what the TTL does after 30 idle minutes
    await agent.get('/calendars').expect(302).expect('Location', '/?notice=connect-calendar');
  });

  it('E6: ends a session 8 hours after it began, however busy', async () => {
    const { agent } = await connected();
    clock += 8 * 60 * 60 * 1000 - 1000;
    await agent.get('/calendars').expect(200);
    clock += 2000;
    await agent.get('/calendars').expect(302).expect('Location', '/?notice=connect-calendar');
  });

  it('E7: after logout the old cookie opens nothing and the session key is gone', async () => {
    const { agent, sid } = await connected();
    expect(await h.redis.exists(SESSION_PREFIX + sid)).toBe(1);
    const token = await csrfTokenFrom(agent, '/');
    const res = await agent.post('/logout').type('form').send({ _csrf: token }).expect(200);
    expect(String(res.headers['set-cookie'])).toMatch(/cc\.sid=;.*Expires=Thu, 01 Jan 1970/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(await h.redis.exists(SESSION_PREFIX + sid)).toBe(0);
    await agent.get('/calendars').expect(302);
  });

  it(`E10: keeps at most ${MAX_PENDING_PER_SESSION} pending flows per session: starting one more ends the oldest`, async () => {
    const agent = h.agent();
    const starts: string[] = [];
    for (let i = 0; i <= MAX_PENDING_PER_SESSION; i++) starts.push((await agent.get('/connect/individual').expect(302)).headers.location as string);
    const stateKey = (start: string) => `cronofy-connect:state:${createHash('sha256').update(new URL(start).searchParams.get('state')!).digest('base64url')}`;
    expect(await Promise.all(starts.map((start) => h.redis.exists(stateKey(start))))).toEqual([0, ...Array<number>(MAX_PENDING_PER_SESSION).fill(1)]);
    const oldest = await agent.get(pathOf(await consent(starts[0]!))).expect(400);
    expect(oldest.text).toContain('This sign-in link is invalid or expired');
    expect(h.emulator.control.requests().filter((r) => r.path === '/oauth/token')).toHaveLength(0);
    await agent.get(pathOf(await consent(starts[MAX_PENDING_PER_SESSION]!))).expect(302).expect('Location', '/calendars');
  });

  it('E10: bounds flow starts per client, across app instances sharing Redis', async () => {
    const limited = await startHarness({ rateLimits: { connectPerMinute: 4, postPerMinute: 100, prefix: `rl-e10-${randomBytes(4).toString('hex')}:` } });
    try {
      const second = limited.secondInstance();
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await request(limited.app).get('/connect/individual')).status);
      for (let i = 0; i < 2; i++) statuses.push((await request(second).get('/connect/individual')).status);
      expect(statuses).toEqual([302, 302, 302, 302, 429]);
      const refused = await request(second).get('/connect/individual').expect(429);
      expect(refused.headers.location).toBeUndefined();
      expect(refused.headers['retry-after']).toBe('60');
      expect(refused.text).toContain('Too many attempts');
    } finally {
      await limited.close();
    }
  });
});

describe('F. leaks', () => {
  it('F4: the callback answers with a redirect under Referrer-Policy: no-referrer, so the code never leaves in a Referer', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    const res = await agent.get(pathOf(back)).expect(302);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.text).not.toContain(back.searchParams.get('code')!);
  });

  it('F5: error pages in production carry no stack trace', async () => {
    const prod = await startHarness({ env: { NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(40), APP_BASE_URL: 'http://localhost' } });
    try {
      const agent = prod.agent();
      expect((await connectThrough(agent)).status).toBe(302);
      prod.emulator.control.failNext('/v1/calendars', { status: 200, body: { calendars: 'not a list' } });
      const pages = [await agent.get('/calendars'), await agent.get('/nope'), await agent.get('/oauth/callback?state=%00')];
      expect(pages.map((p) => p.status)).toEqual([502, 404, 400]);
      for (const page of pages) expect(page.text).not.toMatch(/\bat \S+ \(|\.ts:\d+|\.js:\d+|Error:/);
    } finally {
      await prod.close();
    }
  });

  it('F6: with TOKEN_ENCRYPTION_KEY the tokens are encrypted at rest in Redis, and everything still works', async () => {
    const sealed = await startHarness({ env: { TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64') } });
    try {
      const agent = sealed.agent();
      const cookie = sessionCookie(await connectThrough(agent));
      await agent.get('/calendars').expect(200);
      const bearer = String(sealed.emulator.control.requests().find((r) => r.path === '/v1/calendars')?.headers.authorization).slice('Bearer '.length);
      // The record this session holds, read raw (no KEYS over a shared keyspace).
      const id = (await sessionData(sealed.redis, cookie))?.connections?.individual;
      const raw = await sealed.redis.get(sealed.tokens.key(id!));
      expect(bearer).toHaveLength(32);
      expect(raw).not.toBeNull();
      expect(raw).not.toContain(bearer);
    } finally {
      await sealed.close();
    }
  });
});

describe('L. size and encoding', () => {
  it('L1: a URL or a cookie over 16 KiB is refused by Node with 431 before the app runs', async () => {
    await h.agent().get(`/oauth/callback?state=${'a'.repeat(17_000)}`).expect(431);
    await request(h.app).get('/').set('Cookie', `cc.sid=${'b'.repeat(17_000)}`).expect(431);
  });

  it.each([
    ['4 KB long', 'c'.repeat(4096)],
    ['with a NUL', 'abc%00def'],
    ['with Unicode', '%E2%82%AC'],
    ['repeated', 'abc&code=def'],
  ])('L2: rejects a code %s without a token request', async (_name, code) => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const state = new URL(start.headers.location as string).searchParams.get('state')!;
    await agent.get(`/oauth/callback?state=${state}&code=${code}`).expect(400);
    expect(h.emulator.control.requests().filter((r) => r.path === '/oauth/token')).toHaveLength(0);
  });

  it('L3: survives 1,500 query keys and an oversized form', async () => {
    const keys = Array.from({ length: 1500 }, (_, i) => `k${i}=v`).join('&');
    await h.agent().get(`/?${keys}`).expect(200);
    const { agent } = await connected();
    const token = await csrfTokenFrom(agent, '/');
    await agent.post('/disconnect').type('form').send(`_csrf=${token}&x=${'y'.repeat(20_000)}`).expect(413);
    await agent.get('/calendars').expect(200);
  });
});
