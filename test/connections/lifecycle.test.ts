import request from 'supertest';
import type { Connection } from '../../src/connections/connection';
import { type Harness, connectThrough, csrfTokenFrom, startHarness } from '../support/harness';
import { sessionCookie, sessionKey, storedConnection as stored, tokensExist } from '../support/stored';

let h: Harness;
let clock = Date.now();
const TWO_HOURS = 2 * 60 * 60 * 1000;
/** Tens or hundreds of requests at once cost CPU: on a busy machine a storm takes a minute. A bound, not a timing assert. */
const STORM_TIMEOUT_MS = 120_000;

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
});
afterAll(() => h.close());
beforeEach(() => {
  clock = Date.now();
  h.emulator.control.clearRequests();
});

const calls = (path: string, grant?: string) =>
  h.emulator.control
    .requests()
    .filter((r) => r.path === path && (grant === undefined || (r.body as { grant_type?: string }).grant_type === grant));
const refreshes = () => calls('/oauth/token', 'refresh_token');
/**
 * Revoke calls for one connection's tokens: the durable queue may still be retrying a revoke an
 * earlier test left failing, so counting every call would count that one too.
 */
const revokesOf = (connection: Connection) =>
  calls('/oauth/token/revoke').filter((r) => [connection.refresh_token, connection.access_token].includes((r.body as { token?: string }).token ?? ''));

/** A connected browser of its own Cronofy account: its agent, its cookie and its stored connection. */
async function connected() {
  const agent = h.agent();
  const cookie = sessionCookie(await connectThrough(agent, { separateAccount: true }));
  h.emulator.control.clearRequests();
  return { agent, cookie, connection: await storedConnection(cookie) };
}

/** The individual connection the session behind `cookie` holds, read through the token store. */
async function storedConnection(cookie: string): Promise<Connection> {
  const connection = await stored(h, cookie);
  if (!connection) throw new Error('the session holds no readable connection');
  return connection;
}

describe('refreshing an expired access token', () => {
  it('J1: refreshes once for 50 concurrent requests in one session, and all of them succeed', async () => {
    const { cookie, connection } = await connected();
    clock += TWO_HOURS;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => request(h.app).get('/calendars').set('Cookie', cookie)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(refreshes()).toHaveLength(1);
    expect(refreshes()[0]!.body).toMatchObject({ grant_type: 'refresh_token', refresh_token: connection.refresh_token });

    const after = await storedConnection(cookie);
    expect(after.refresh_token).not.toBe(connection.refresh_token); // the rotated one was kept
    expect(after.access_token).not.toBe(connection.access_token);
    const used = new Set(calls('/v1/calendars').map((r) => r.headers.authorization));
    expect(used).toEqual(new Set([`Bearer ${after.access_token}`]));
  }, STORM_TIMEOUT_MS);

  it('J2, J3: refreshes once when the requests are spread over two app instances sharing Redis', async () => {
    const { cookie } = await connected();
    const other = h.secondInstance();
    clock += TWO_HOURS;
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => request(i % 2 ? other : h.app).get('/calendars').set('Cookie', cookie)),
    );
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(refreshes()).toHaveLength(1);
  }, STORM_TIMEOUT_MS);

  it('J2: a refresh storm of 20 sessions × 10 requests over two instances refreshes each session once, and nothing fails', async () => {
    const sessions = await Promise.all(Array.from({ length: 20 }, () => connected()));
    const other = h.secondInstance();
    h.emulator.control.clearRequests();
    clock += TWO_HOURS;
    const results = await Promise.all(
      sessions.flatMap(({ cookie }) => Array.from({ length: 10 }, (_, i) => request(i % 2 ? other : h.app).get('/calendars').set('Cookie', cookie))),
    );
    const failures = results.filter((r) => r.status !== 200).map((r) => `${r.status}: ${/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(r.text)?.[1]?.trim() ?? r.text.slice(0, 120)}`);
    if (failures.length > 0) console.warn(h.logs.filter((l) => /request failed/.test(l)).slice(-3).join("\n"));
    expect(failures).toEqual([]);
    expect(refreshes()).toHaveLength(20);
    expect(new Set(refreshes().map((r) => (r.body as { refresh_token: string }).refresh_token)).size).toBe(20);
  }, STORM_TIMEOUT_MS);

  it('J4: keeps the new tokens when a request that started before the refresh saves the session after it', async () => {
    const { agent, cookie } = await connected();
    const staleSession = (await h.redis.get(sessionKey(cookie)))!;

    clock += TWO_HOURS;
    await agent.get('/calendars').expect(200);
    const refreshed = await storedConnection(cookie);
    await h.redis.set(sessionKey(cookie), staleSession, 'KEEPTTL'); // what a stale request's save writes

    h.emulator.control.clearRequests();
    await agent.get('/calendars').expect(200);
    expect(refreshes()).toHaveLength(0);
    expect(calls('/v1/calendars')[0]!.headers.authorization).toBe(`Bearer ${refreshed.access_token}`);
    expect((await storedConnection(cookie)).refresh_token).toBe(refreshed.refresh_token);
  });

  it('J5: keeps the old refresh token when Cronofy returns none', async () => {
    const { agent, cookie, connection } = await connected();
    clock += TWO_HOURS;
    h.emulator.control.failNext('/oauth/token', {
      status: 200,
      body: { token_type: 'bearer', access_token: connection.access_token, expires_in: 3600, scope: connection.scope },
    });
    await agent.get('/calendars').expect(200);
    const after = await storedConnection(cookie);
    expect(after.refresh_token).toBe(connection.refresh_token);
    expect(after.refreshed_at).toBe(clock);
  });

  it('shows when the token expires and when it was last refreshed', async () => {
    const { agent } = await connected();
    expect((await agent.get('/').expect(200)).text).toMatch(/Last refreshed<\/dt><dd>not yet/);
    clock += TWO_HOURS;
    await agent.get('/calendars').expect(200);
    const home = await agent.get('/').expect(200);
    expect(home.text).toContain(new Date(clock).toUTCString());
    expect(home.text).toContain('Access token expires');
  });
});

describe('a 401 from the API', () => {
  it('I1: refreshes once and retries once when a token that looked fresh is refused', async () => {
    const { agent } = await connected();
    h.emulator.control.expireAccessTokens();
    await agent.get('/calendars').expect(200);
    expect(refreshes()).toHaveLength(1);
    expect(calls('/v1/calendars').map((r) => r.status)).toEqual([401, 200]);
  });

  it('gives a clear error, not a loop, when the retry is refused too', async () => {
    const { agent } = await connected();
    h.emulator.control.failNext('/v1/calendars', { status: 401, times: 2 });
    const res = await agent.get('/calendars').expect(502);
    expect(res.text).toContain('did not accept the access token');
    expect(refreshes()).toHaveLength(1);
    expect(calls('/v1/calendars')).toHaveLength(2);
  });
});

describe('a dead refresh token', () => {
  it('I1: forgets the connection and asks to connect again when refresh answers invalid_grant', async () => {
    const { agent, connection } = await connected();
    h.emulator.control.revokeGrant(connection.refresh_token);
    clock += TWO_HOURS;
    const res = await agent.get('/calendars').expect(401);
    expect(res.text).toContain('Please connect your calendar again');
    expect(res.text).toContain('href="/connect/individual"');
    expect(refreshes()).toHaveLength(1);
    expect(await tokensExist(h, connection.id)).toBe(false);
    // Next visit: simply not connected, no loop.
    await agent.get('/calendars').expect(302);
    expect(refreshes()).toHaveLength(1);
  });
});

describe('POST /disconnect', () => {
  it('E8: revokes at Cronofy with the refresh token, forgets the tokens, and the tokens stop working', async () => {
    const { agent, connection } = await connected();
    const csrf = await csrfTokenFrom(agent, '/');
    const res = await agent.post('/disconnect').type('form').send({ _csrf: csrf }).expect(302);
    expect(res.headers.location).toBe('/');
    expect(calls('/oauth/token/revoke')).toHaveLength(1);
    expect(calls('/oauth/token/revoke')[0]!.body).toEqual({
      client_id: h.config.cronofy.clientId,
      client_secret: h.config.cronofy.clientSecret,
      token: connection.refresh_token,
    });
    expect((await agent.get('/').expect(200)).text).toContain('Disconnected your calendar connection. Cronofy has revoked the access');
    await agent.get('/calendars').expect(302);
    expect(await tokensExist(h, connection.id)).toBe(false);

    const direct = await fetch(`${h.emulator.url}/v1/calendars`, { headers: { Authorization: `Bearer ${connection.access_token}` } });
    expect(direct.status).toBe(401);
  });

  it('E8: forgets the tokens even when the revoke call fails, and says the revocation is pending', async () => {
    const { agent, connection } = await connected();
    const csrf = await csrfTokenFrom(agent, '/');
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503 });
    const logsBefore = h.logs.length;
    await agent.post('/disconnect').type('form').send({ _csrf: csrf }).expect(302);
    expect(revokeWarnings(logsBefore)).toEqual([expect.objectContaining({ level: 40, kind: 'individual', reason: 'disconnect' })]);
    expect(h.logs.slice(logsBefore).join('\n')).not.toContain(connection.refresh_token);
    expect((await agent.get('/').expect(200)).text).toContain('Revocation pending');
    expect(await tokensExist(h, connection.id)).toBe(false);
  });

  it('D1: refuses a disconnect without the CSRF token', async () => {
    const { agent, connection } = await connected();
    await agent.post('/disconnect').type('form').send({}).expect(403);
    expect(revokesOf(connection)).toHaveLength(0);
    expect(await tokensExist(h, connection.id)).toBe(true);
  });
});

describe('POST /logout', () => {
  it('E7: destroys the session and clears the cookie without revoking; the connection is kept for the next sign-in', async () => {
    const { agent, cookie, connection } = await connected();
    const csrf = await csrfTokenFrom(agent, '/');
    const res = await agent.post('/logout').type('form').send({ _csrf: csrf }).expect(200);
    expect(res.text).toContain('You are logged out');
    expect(String(res.headers['set-cookie'])).toMatch(/cc\.sid=;.*Expires=Thu, 01 Jan 1970/);
    expect(await h.redis.exists(sessionKey(cookie))).toBe(0);
    expect(await tokensExist(h, connection.id)).toBe(true);
    expect(revokesOf(connection)).toHaveLength(0);
    // The old cookie no longer opens anything.
    await request(h.app).get('/calendars').set('Cookie', cookie).expect(302);
  });
});

describe('records changing under a refresh', () => {
  it('J3: an invalid_grant after another writer already stored newer tokens keeps those tokens', async () => {
    const { agent, cookie, connection } = await connected();
    clock += TWO_HOURS;
    const refresh = h.emulator.control.hold('/oauth/token', { method: 'POST' });
    const page = agent.get('/calendars').then((res) => res); // supertest sends on then()
    expect((await refresh.arrived).body).toMatchObject({ grant_type: 'refresh_token', refresh_token: connection.refresh_token });

    // While our refresh is on the wire, another process (whose lock outlived ours) stores fresh tokens.
    const current = (await h.tokens.get(connection.id))!;
    const fresher: Connection = { ...current.connection, expires_at: clock + 3_600_000, refreshed_at: clock };
    expect(await h.tokens.replace(current.version, fresher)).toBe(true);
    refresh.release({ status: 400, body: { error: 'invalid_grant' } });

    expect((await page).status).toBe(200);
    expect(await storedConnection(cookie)).toEqual(fresher);
    expect(refreshes()).toHaveLength(1);
    expect(calls('/v1/calendars').map((r) => r.headers.authorization)).toEqual([`Bearer ${fresher.access_token}`]);
  });

  it('revokes the replaced grant when the same kind is connected again with another account', async () => {
    const { agent, connection } = await connected();
    expect((await connectThrough(agent, { separateAccount: true })).status).toBe(302);
    const revokes = calls('/oauth/token/revoke');
    expect(revokes.map((r) => (r.body as { token: string }).token)).toEqual([connection.refresh_token]);
    expect(await tokensExist(h, connection.id)).toBe(false);
    await agent.get('/calendars').expect(200);
  });

  it('logs a failed revoke of the replaced grant at warn, without the token, and keeps the new connection', async () => {
    const { agent, connection } = await connected();
    const logsBefore = h.logs.length;
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503 });
    expect((await connectThrough(agent)).status).toBe(302);
    const warnings = revokeWarnings(logsBefore);
    expect(warnings).toEqual([expect.objectContaining({ level: 40, kind: 'individual', reason: 'replaced' })]);
    expect(h.logs.slice(logsBefore).join('\n')).not.toContain(connection.refresh_token);
    await agent.get('/calendars').expect(200);
  });
});

/** The "revoke failed" lines logged since `from` (pino's warn level is 40). */
const revokeWarnings = (from: number) =>
  h.logs
    .slice(from)
    .map((line) => JSON.parse(line) as { level: number; msg: string; kind?: string; reason?: string })
    .filter((entry) => entry.msg === 'revoke failed');

describe('TOKEN_ENCRYPTION_KEY changed', () => {
  it('treats records it cannot read as gone: the person connects again, no 500', async () => {
    const before = await startHarness({ now: () => clock, env: { TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') } });
    const after = await startHarness({ now: () => clock, env: { TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 2).toString('base64') } });
    try {
      const agent = before.agent();
      const cookie = sessionCookie(await connectThrough(agent));
      expect(await stored(before, cookie)).not.toBeNull();
      expect(await stored(after, cookie)).toBeNull(); // the record is there, but the new key cannot open it
      const home = await request(after.app).get('/').set('Cookie', cookie).expect(200);
      expect(home.text).not.toContain('Something went wrong');
      await request(after.app).get('/calendars').set('Cookie', cookie).expect(302).expect('Location', '/?notice=connect-calendar');
    } finally {
      await before.close();
      await after.close();
    }
  });
});

