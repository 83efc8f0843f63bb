// Checklist groups A-C (docs/security-checklist.md) not covered in test/connect: the
// callback's input checks, odd token answers, and the places a redirect target could come from.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import request from 'supertest';
import { type Harness, connectThrough, consent, pathOf, startHarness } from '../support/harness';
import { sessionCookie, sessionKey } from '../support/stored';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.emulator.control.clearRequests());

const tokenRequests = () => h.emulator.control.requests().filter((r) => r.path === '/oauth/token');

/**
 * The commands `client`'s own connection sent to Redis while `act` ran, as MONITOR saw them. An ECHO
 * on the same connection before and after brackets them: Redis feeds MONITOR in execution order.
 */
async function commandsDuring(client: Redis, act: () => Promise<void>): Promise<string[][]> {
  const addr = /addr=(\S+)/.exec(String(await client.call('CLIENT', 'INFO')))?.[1];
  // Opened as client.monitor() opens it, with one difference: a command of another connection that
  // reaches the monitor in the same packet as MONITOR's OK, before ioredis counts itself as
  // monitoring, is reported as an error ("Command queue state error") and would fail the test. Such
  // a line comes before the first mark, so it is let go.
  const monitor = new Redis({ ...client.options, monitor: true, lazyConnect: true });
  monitor.on('error', () => undefined);
  const monitoring = new Promise((resolve) => monitor.once('monitoring', resolve));
  await monitor.connect();
  await monitoring;
  const seen: string[][] = [];
  const marks = new Map<string, (at: number) => void>();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== addr) return;
    seen.push(args);
    if (args[0]?.toLowerCase() === 'echo') marks.get(args[1] ?? '')?.(seen.length);
  });
  const mark = async (): Promise<number> => {
    const name = `mark-${randomBytes(8).toString('hex')}`;
    const at = new Promise<number>((resolve) => marks.set(name, resolve));
    await client.echo(name);
    return at;
  };
  try {
    const from = await mark();
    await act();
    const to = await mark();
    return seen.slice(from, to - 1);
  } finally {
    monitor.disconnect();
  }
}

async function pendingCallback(agent = h.agent()) {
  const start = await agent.get('/connect/individual').expect(302);
  const back = await consent(start.headers.location as string);
  return { agent, back, state: back.searchParams.get('state') ?? '' };
}

describe('A. callback: state', () => {
  it('A3: a valid state arriving without the session cookie gets a 400 page that says why, and no token request', async () => {
    const { back } = await pendingCallback();
    const res = await request(h.app).get(pathOf(back)).expect(400);
    expect(res.text).toContain('not started in this browser session');
    expect(tokenRequests()).toHaveLength(0);
  });

  it('A11: maps every RFC 6749 error code (and an unknown one) to a safe message; the transient ones suggest trying again', async () => {
    const cases: [string, number, RegExp][] = [
      ['invalid_request', 400, /malformed/],
      ['unauthorized_client', 400, /not allowed/],
      ['unsupported_response_type', 400, /response type/],
      ['invalid_scope', 400, /CRONOFY_SCOPE/],
      ['server_error', 503, /Try again/],
      ['temporarily_unavailable', 503, /Try again/],
      ['made_up_error', 400, /Cronofy reported an error/],
    ];
    for (const [error, status, message] of cases) {
      const agent = h.agent();
      const start = await agent.get('/connect/individual').expect(302);
      const state = new URL(start.headers.location as string).searchParams.get('state')!;
      const res = await agent.get(`/oauth/callback?state=${state}&error=${error}`).expect(status);
      expect(res.text).toMatch(message);
      expect(res.text).toContain('href="/connect/individual"');
    }
    expect(tokenRequests()).toHaveLength(0);
  });

  it('A12: never shows error_description, however it is crafted, and keeps it out of the logs', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const state = new URL(start.headers.location as string).searchParams.get('state')!;
    const crafted = encodeURIComponent('<script>alert(1)</script>\r\nSet-Cookie: x=1' + 'y'.repeat(10_000));
    const res = await agent.get(`/oauth/callback?state=${state}&error=server_error&error_description=${crafted}`).expect(503);
    expect(res.text).not.toContain('<script>alert(1)');
    expect(res.text).not.toContain('yyyyyyyy');
    expect(h.logs.join('\n')).not.toContain('alert(1)');
  });

  it('A14: ignores parameters it does not know', async () => {
    const { agent, back } = await pendingCallback();
    back.searchParams.set('iss', 'https://evil.example');
    back.searchParams.set('foo', 'bar');
    await agent.get(pathOf(back)).expect(302).expect('Location', '/calendars');
  });
});

describe('A6: the state is checked before anything else the callback does', () => {
  // A harness of its own without the revocation worker, so that every command its Redis connection
  // sends while the callback runs comes from the callback's request.
  let quiet: Harness;
  beforeAll(async () => {
    quiet = await startHarness({ revocationWorker: false });
  });
  afterAll(() => quiet.close());

  it.each([
    ['empty', ''],
    ['10 KB', 'a'.repeat(10_000)],
    ['with a NUL', 'abc%00def'],
    ['non-ASCII', '%C3%A9t%C3%A9'],
    ['with spaces', 'a%20b'],
  ])('A6: refuses a state that is %s with a 400, before any state lookup, token request or session change', async (_name, state) => {
    const agent = quiet.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const key = sessionKey(sessionCookie(start));
    const stored = await quiet.redis.get(key);
    const back = await consent(start.headers.location as string);
    quiet.emulator.control.clearRequests();

    let res: request.Response | undefined;
    const sent = await commandsDuring(quiet.redis as Redis, async () => {
      res = await agent.get(`/oauth/callback?code=${back.searchParams.get('code')}&state=${state}`).expect(400);
    });
    expect(res!.text).toContain('This sign-in link is invalid or expired');
    expect(res!.headers['set-cookie']).toBeUndefined();
    expect(quiet.emulator.control.requests()).toEqual([]);
    expect(await quiet.redis.get(key)).toBe(stored);
    // Redis saw only the middleware in front of the callback (the rate limiter's count, the session's
    // load) and express-session renewing the session's expiry afterwards: no pending state was read.
    const named = sent.map(([command, ...args]) => `${command?.toLowerCase()} ${args.find((arg) => arg === key || arg.startsWith('test-rl:')) ?? args.join(' ')}`);
    expect(named).toEqual([expect.stringMatching(/^evalsha test-rl:\S+:connect:/), `get ${key}`, `expire ${key}`]);

    // The session's own pending flow was not touched: its callback still completes.
    await agent.get(pathOf(back)).expect(302).expect('Location', '/calendars');
  });
});

describe('B. code exchange', () => {
  it('B2: shows a configuration error for invalid_client, without retrying or logging the secret', async () => {
    const { agent, back } = await pendingCallback();
    h.emulator.control.failNext('/oauth/token', { status: 401, body: { error: 'invalid_client' } });
    const res = await agent.get(pathOf(back)).expect(502);
    expect(res.text).toContain('CRONOFY_CLIENT_SECRET');
    expect(tokenRequests()).toHaveLength(1);
    expect(h.logs.join('\n')).not.toContain(h.config.cronofy.clientSecret);
  });

  it.each([
    ['a body that is not an object', '<html>oops</html>'],
    ['no access_token', { token_type: 'bearer', expires_in: 3600, refresh_token: 'r' }],
    ['another token_type', { token_type: 'mac', access_token: 'a', expires_in: 3600, refresh_token: 'r' }],
    ['expires_in as text', { token_type: 'bearer', access_token: 'a', expires_in: 'soon', refresh_token: 'r' }],
  ])('B4: refuses a 200 token answer with %s and stores nothing', async (_name, body) => {
    const { agent, back } = await pendingCallback();
    h.emulator.control.failNext('/oauth/token', { status: 200, body });
    const res = await agent.get(pathOf(back)).expect(502);
    expect(res.text).toContain('Cronofy gave an unexpected answer');
    await agent.get('/calendars').expect(302);
  });

  it('B4: refuses a 200 token answer with no refresh_token, gives the access token back and stores nothing', async () => {
    const { agent, back } = await pendingCallback();
    h.emulator.control.failNext('/oauth/token', { status: 200, body: { token_type: 'bearer', access_token: 'a'.repeat(32), expires_in: 3600, scope: 'read_account', account_id: 'acc_1', sub: 'acc_1' } });
    const res = await agent.get(pathOf(back)).expect(502);
    expect(res.text).toContain('had no refresh token');
    const revokes = h.emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke');
    expect(revokes.map((r) => (r.body as { token?: string }).token)).toEqual(['a'.repeat(32)]);
    await agent.get('/calendars').expect(302);
  });

  it('B4: refuses a token answer larger than 1 MB', async () => {
    const { agent, back } = await pendingCallback();
    h.emulator.control.failNext('/oauth/token', { status: 200, body: { token_type: 'bearer', access_token: 'a', expires_in: 1, refresh_token: 'x'.repeat(1_100_000) } });
    await agent.get(pathOf(back)).expect(502);
    await agent.get('/calendars').expect(302);
  });

  it('B6: the same callback twice at once makes exactly one token request', async () => {
    const { agent, back } = await pendingCallback();
    const [a, b] = await Promise.all([agent.get(pathOf(back)), agent.get(pathOf(back))]);
    expect([a.status, b.status].sort()).toEqual([302, 400]);
    expect(tokenRequests()).toHaveLength(1);
  });
});

describe('C. redirects', () => {
  it.each(['https://evil.com', '//evil.com', '/\\evil.com', '/%09/evil.com', 'javascript:alert(1)'])(
    'C1, C2: takes no return path from input (returnTo=%s is ignored; the way back is fixed server-side)',
    async (target) => {
      const agent = h.agent();
      const start = await agent.get(`/connect/individual?returnTo=${encodeURIComponent(target)}&next=${encodeURIComponent(target)}`).expect(302);
      const back = await consent(start.headers.location as string);
      back.searchParams.set('returnTo', target);
      const res = await agent.get(pathOf(back)).expect(302);
      expect(res.headers.location).toBe('/calendars');
    },
  );

  it.each(['evil.com', '../', 'xx', 'uk'])('C4: takes the data center from configuration only (dc=%s changes nothing)', async (dc) => {
    const res = await h.agent().get(`/connect/individual?dc=${encodeURIComponent(dc)}&data_center=${encodeURIComponent(dc)}`).expect(302);
    expect(new URL(res.headers.location as string).origin).toBe(h.emulator.url);
    const connected = await connectThrough(h.agent());
    expect(connected.status).toBe(302);
  });
});
