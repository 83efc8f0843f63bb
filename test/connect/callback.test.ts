import { parse } from 'node-html-parser';
import { SESSION_PREFIX } from '../../src/session';
import { sessionIdOf } from '../support/stored';
import {
  type Harness,
  connectThrough,
  connectionsOf,
  consent,
  pathOf,
  startHarness,
} from '../support/harness';

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

const tokenRequests = () => h.emulator.control.requests().filter((r) => r.path === '/oauth/token');
const sessionCookie = (res: { headers: Record<string, unknown> }) =>
  ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []).find((c) => c.startsWith('cc.sid='));

/** What Redis holds for a session, read before a callback that must not change it. */
interface SessionBefore {
  key: string;
  stored: string | null;
}

/** A browser that started Individual Connect and went through consent: the way back, unused. */
async function pendingFlow(decision: 'Allow' | 'Deny' = 'Allow') {
  const agent = h.agent();
  const start = await agent.get('/connect/individual').expect(302);
  const key = SESSION_PREFIX + sessionIdOf(sessionCookie(start)!);
  const before: SessionBefore = { key, stored: await h.redis.get(key) };
  expect(before.stored).not.toBeNull();
  const back = await consent(start.headers.location as string, { decision });
  return { agent, back, before };
}

/** The same session id (no new cookie) and, in Redis, the same session record byte for byte. */
async function expectSessionUnchanged(res: { headers: Record<string, unknown> }, before: SessionBefore) {
  expect(sessionCookie(res)).toBeUndefined();
  expect(await h.redis.get(before.key)).toBe(before.stored);
}

describe('GET /connect/individual', () => {
  it('E9: saves the pending flow, then redirects to the authorize page with every parameter', async () => {
    const agent = h.agent();
    const res = await agent.get('/connect/individual').expect(302);
    const url = new URL(res.headers.location as string);
    expect(url.origin + url.pathname).toBe(`${h.emulator.url}/oauth/authorize`);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('client_id')).toBe(h.config.cronofy.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe('http://app.test/oauth/callback');
    expect(url.searchParams.get('scope')).toBe('read_account list_calendars read_events'); // R18: only what the app reads
    const state = url.searchParams.get('state') ?? '';
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url

    // The session was written before the redirect left.
    const cookie = sessionCookie(res);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure|Domain|Expires|Max-Age/);
    expect(await h.redis.exists(SESSION_PREFIX + sessionIdOf(cookie!))).toBe(1);
  });

  it('gives each start a different state', async () => {
    const agent = h.agent();
    const a = new URL((await agent.get('/connect/individual')).headers.location as string).searchParams.get('state');
    const b = new URL((await agent.get('/connect/individual')).headers.location as string).searchParams.get('state');
    expect(a).not.toBe(b);
  });
});

describe('GET /oauth/callback', () => {
  it('B5, E1: exchanges the code once, regenerates the session and lands on the calendars', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const before = sessionIdOf(sessionCookie(start)!);
    const back = await consent(start.headers.location as string, { account: 'Google' });
    expect(back.searchParams.get('code')).toHaveLength(32);

    const res = await agent.get(pathOf(back)).expect(302);
    expect(res.headers.location).toBe('/calendars');
    const after = sessionIdOf(sessionCookie(res)!);
    expect(after).not.toBe(before);
    expect(await h.redis.exists(SESSION_PREFIX + before)).toBe(0);
    expect(await h.redis.exists(SESSION_PREFIX + after)).toBe(1);

    const [exchange] = tokenRequests();
    expect(tokenRequests()).toHaveLength(1);
    expect(exchange!.body).toMatchObject({
      grant_type: 'authorization_code',
      code: back.searchParams.get('code'),
      redirect_uri: 'http://app.test/oauth/callback',
      client_id: h.config.cronofy.clientId,
    });

    const calendars = await agent.get('/calendars').expect(200);
    expect(calendars.text).toContain('Your calendars');
    expect(calendars.text).toMatch(/Read-only/);
    expect(calendars.headers['cache-control']).toBe('no-store');
  });

  it('A1: rejects a callback without state: 400, no token request, and the session and its pending flow untouched', async () => {
    const { agent, back, before } = await pendingFlow();
    const res = await agent.get(`/oauth/callback?code=${back.searchParams.get('code')}`).expect(400);
    expect(res.text).toContain('This sign-in link is invalid or expired');
    expect(tokenRequests()).toHaveLength(0);
    await expectSessionUnchanged(res, before);
    // Nothing was consumed: the flow this session did start still completes.
    await agent.get(pathOf(back)).expect(302).expect('Location', '/calendars');
  });

  it('A2: rejects a forged state and makes no token request', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    back.searchParams.set('state', 'forged-state-value-forged-state-value-00000');
    await agent.get(pathOf(back)).expect(400);
    expect(tokenRequests()).toHaveLength(0);
  });

  it('A5: rejects a repeated state parameter', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    const state = back.searchParams.get('state')!;
    back.searchParams.append('state', state);
    await agent.get(pathOf(back)).expect(400);
    expect(tokenRequests()).toHaveLength(0);
  });

  it('A4: rejects a replayed callback: the state is single use', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    await agent.get(pathOf(back)).expect(302);
    const replay = await agent.get(pathOf(back)).expect(400);
    expect(replay.text).toContain('already used');
    expect(tokenRequests()).toHaveLength(1);
  });

  it('A15: rejects a state from another browser session (login CSRF)', async () => {
    const attacker = h.agent();
    const start = await attacker.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    await h.agent().get(pathOf(back)).expect(400);
    expect(tokenRequests()).toHaveLength(0);
    // The attacker's state was consumed by the attempt.
    await attacker.get(pathOf(back)).expect(400);
  });

  it('A8: rejects a state more than ten minutes old', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    clock += 10 * 60 * 1000 + 1;
    await agent.get(pathOf(back)).expect(400);
    expect(tokenRequests()).toHaveLength(0);
  });

  it('A7: once one tab finishes, a flow the other tab started in the old session is refused before any token request', async () => {
    const agent = h.agent();
    const first = await agent.get('/connect/individual').expect(302);
    const second = await agent.get('/connect/individual').expect(302);
    const secondBack = await consent(second.headers.location as string);
    const firstBack = await consent(first.headers.location as string);
    await agent.get(pathOf(secondBack)).expect(302);
    const refused = await agent.get(pathOf(firstBack)).expect(400);
    expect(refused.text).toContain('Back to the start'); // the state was not this session's: which flow it was is not known
    expect(tokenRequests()).toHaveLength(1);
    // Starting again in the renewed session works.
    const again = await agent.get('/connect/individual').expect(302);
    await agent.get(pathOf(await consent(again.headers.location as string))).expect(302);
  });

  it('A9: shows a declined page for access_denied with the right state, consumes the state, requests no token and stores nothing', async () => {
    const { agent, back, before } = await pendingFlow('Deny');
    expect(back.searchParams.get('error')).toBe('access_denied');
    const res = await agent.get(pathOf(back)).expect(200);
    expect(res.text).toContain('You declined the connection');
    expect(res.text).toContain('href="/connect/individual"');
    expect(tokenRequests()).toHaveLength(0);
    await expectSessionUnchanged(res, before); // no connection added

    // The state is used up: the same state with a code is refused, and still nothing is exchanged.
    back.searchParams.delete('error');
    back.searchParams.set('code', 'c'.repeat(32));
    const again = await agent.get(pathOf(back)).expect(400);
    expect(again.text).toContain('not started in this browser session, or has expired');
    expect(tokenRequests()).toHaveLength(0);
    await agent.get('/calendars').expect(302).expect('Location', '/?notice=connect-calendar');
  });

  it.each([
    ['missing', ''],
    ['forged', '&state=not-the-real-state'],
  ])('A10: treats access_denied with a %s state as an invalid link, not a decline, and changes nothing', async (_name, state) => {
    const { agent, back, before } = await pendingFlow();
    const res = await agent.get(`/oauth/callback?error=access_denied${state}`).expect(400);
    expect(res.text).toContain('This sign-in link is invalid or expired');
    expect(res.text).not.toContain('You declined');
    expect(tokenRequests()).toHaveLength(0);
    await expectSessionUnchanged(res, before);
    // The session's real pending flow was not consumed by the forged answer: it still completes.
    await agent.get(pathOf(back)).expect(302).expect('Location', '/calendars');
  });

  it('A13: names other errors from Cronofy and never exchanges when error and code both come', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const state = new URL(start.headers.location as string).searchParams.get('state')!;
    const res = await agent.get(`/oauth/callback?state=${state}&error=invalid_scope&code=abc`).expect(400);
    expect(res.text).toContain('invalid_scope');
    expect(tokenRequests()).toHaveLength(0);
  });

  it('B1: explains invalid_grant from the token endpoint and stores nothing', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    h.emulator.control.failNext('/oauth/token', { status: 400, body: { error: 'invalid_grant' } });
    const res = await agent.get(pathOf(back)).expect(400);
    expect(res.text).toContain('Cronofy did not accept this sign-in');
    expect(res.text).toMatch(/redirect URI/);
    await agent.get('/calendars').expect(302);
  });

  it('B3: answers 503 with a clear page when the token endpoint is down', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    h.emulator.control.failNext('/oauth/token', { status: 503 });
    const res = await agent.get(pathOf(back)).expect(503);
    expect(res.text).toContain('Cronofy is not answering');
    expect(tokenRequests()).toHaveLength(1); // a code exchange is never retried
  });
});

describe('secrets', () => {
  it('F1, F2: never puts a token, code, state, client secret or session id in a page, header, cookie value or log line', async () => {
    // One browser holding every kind of connection, so that each page has something to show.
    const agent = h.agent();
    const secrets = [h.config.cronofy.clientSecret];
    const sids: string[] = [];
    const responses = [];
    for (const kind of ['individual', 'organization', 'enterprise'] as const) {
      const start = await agent.get(`/connect/${kind}`).expect(302);
      const back = await consent(start.headers.location as string);
      secrets.push(new URL(start.headers.location as string).searchParams.get('state')!, back.searchParams.get('code')!);
      const callback = await agent.get(pathOf(back)).expect(302);
      sids.push(sessionIdOf(sessionCookie(callback)!));
      responses.push(callback);
    }
    const connections = await connectionsOf(h, responses.at(-1)!.headers['set-cookie']);
    expect(connections.map((c) => c.kind).sort()).toEqual(['enterprise', 'individual', 'organization']);
    for (const record of connections) secrets.push(record.access_token, record.refresh_token);
    secrets.push(...sids);

    const organization = await agent.get('/organization').expect(200);
    expect(organization.text).toContain('Members (');
    const member = parse(organization.text).querySelector('a[href^="/organization/members/"]')?.getAttribute('href');
    expect(member).toBeDefined();
    responses.push(organization);
    // Each page as a connected session sees it (the marker proves it is not the "connect first" version).
    const pages: [string, string][] = [
      ['/', 'Disconnect calendar'],
      ['/calendars', 'Your calendars'],
      ['/permissions', 'Extended permissions'],
      [member!, 'Identity ('],
      ['/enterprise', 'The service account ('],
      ['/inspector', 'access_token'], // the flows' tokens, masked
    ];
    for (const [page, marker] of pages) {
      const res = await agent.get(page).expect(200);
      expect(res.text).toContain(marker);
      responses.push(res);
    }

    // The session cookie carries the session id by design; nothing else may.
    const seen = [
      ...responses.map((r) => r.text + JSON.stringify({ ...r.headers, 'set-cookie': undefined })),
      ...h.logs,
    ].join('\n');
    for (const secret of secrets) expect(seen).not.toContain(secret);
    const cookies = responses.flatMap((r) => (r.headers['set-cookie'] as unknown as string[] | undefined) ?? []);
    expect(cookies.every((cookie) => cookie.startsWith('cc.sid='))).toBe(true);
    for (const secret of secrets.filter((s) => !sids.includes(s))) expect(cookies.join('\n')).not.toContain(secret);
    expect(h.logs.some((line) => line.includes('/oauth/callback'))).toBe(true);
  });
});

describe('pages', () => {
  it('GET /calendars without a connection goes home with a message', async () => {
    const agent = h.agent();
    const res = await agent.get('/calendars').expect(302);
    expect(res.headers.location).toBe('/?notice=connect-calendar');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect((await agent.get(res.headers.location as string).expect(200)).text).toContain('Connect a calendar first');
  });

  it('GET /healthz and /readyz answer while the process and Redis run', async () => {
    await h.agent().get('/healthz').expect(200, { status: 'ok' });
    await h.agent().get('/readyz').expect(200, { status: 'ready' });
  });

  it('answers unknown paths with a 404 page', async () => {
    const res = await h.agent().get('/nope').expect(404);
    expect(res.text).toContain('Page not found');
  });
});

describe('connectThrough', () => {
  it('connects in one call (used by the other suites)', async () => {
    const res = await connectThrough(h.agent());
    expect(res.status).toBe(302);
  });
});
