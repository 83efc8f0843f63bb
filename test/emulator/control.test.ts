import type { RunningEmulator } from '../../src/emulator/types';
import { api, CLIENT, post, start, tokensFor } from './support';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await start();
});
afterAll(() => emulator.close());
beforeEach(() => emulator.control.clearRequests());

describe('test control', () => {
  it('records requests with method, path, query, lower-case headers, parsed body and status', async () => {
    await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token: 'nope' });
    await api(emulator, '/v1/calendars?x=1', 'tok', { headers: { 'X-Trace': 't' } });
    const [token, calendars] = emulator.control.requests();
    expect(token).toMatchObject({ method: 'POST', path: '/oauth/token', status: 400, body: { grant_type: 'refresh_token' } });
    expect(calendars).toMatchObject({ method: 'GET', path: '/v1/calendars', query: { x: '1' }, status: 401 });
    expect(calendars?.headers['x-trace']).toBe('t');
  });

  it('fails the next N calls to a path with the given status, body and headers, then answers normally', async () => {
    const { access_token } = await tokensFor(emulator);
    emulator.control.failNext('/v1/calendars', { status: 503, times: 2, body: { down: true }, headers: { 'Retry-After': '7' } });
    const first = await api(emulator, '/v1/calendars', access_token);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(await first.json()).toEqual({ down: true });
    expect((await api(emulator, '/v1/calendars', access_token)).status).toBe(503);
    expect((await api(emulator, '/v1/calendars', access_token)).status).toBe(200);
  });

  it('matches a fault on the method when one is given', async () => {
    emulator.control.failNext('/oauth/token', { status: 500, method: 'GET' });
    expect((await post(emulator, '/oauth/token', { ...CLIENT })).status).toBe(400);
    emulator.control.reset();
  });

  it('delays an answer (a hang) without changing it', async () => {
    const { access_token } = await tokensFor(emulator);
    emulator.control.failNext('/v1/calendars', { delayMs: 300 });
    const timedOut = await api(emulator, '/v1/calendars', access_token, { signal: AbortSignal.timeout(100) }).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    expect(timedOut).toBe('TimeoutError');
    expect((await api(emulator, '/v1/calendars', access_token)).status).toBe(200);
  });

  it('reset forgets grants and faults', async () => {
    const { access_token } = await tokensFor(emulator);
    emulator.control.failNext('/v1/account', { status: 500 });
    emulator.control.reset();
    expect((await api(emulator, '/v1/calendars', access_token)).status).toBe(401);
    expect(emulator.control.requests()).toHaveLength(1);
  });

  it('revokeGrant stops a grant by refresh token or by sub', async () => {
    const a = await tokensFor(emulator);
    emulator.control.revokeGrant(a.refresh_token);
    expect((await api(emulator, '/v1/calendars', a.access_token)).status).toBe(401);
    const b = await tokensFor(emulator, { account: 'Microsoft' });
    emulator.control.revokeGrant(b.sub!);
    expect((await api(emulator, '/v1/calendars', b.access_token)).status).toBe(401);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After past the per-second limit', async () => {
    const frozen = Date.now();
    const limited = await start({ rateLimit: { perSecond: 3, perMinute: 1000 }, now: () => frozen });
    try {
      const statuses = await Promise.all(Array.from({ length: 8 }, () => api(limited, '/v1/calendars', 'x')));
      const tooMany = statuses.filter((r) => r.status === 429);
      expect(tooMany.length).toBeGreaterThan(0);
      expect(tooMany.length).toBeLessThan(8);
      expect(Number(tooMany[0]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.close();
    }
  });

  it('is on by default at 50/s and can be switched off', async () => {
    // A clock that stands still: all 120 calls fall in one second however slowly the machine runs.
    const frozen = Date.now();
    const byDefault = await start({ rateLimit: undefined, now: () => frozen });
    const off = await start({ rateLimit: false });
    try {
      const burst = (e: RunningEmulator) => Promise.all(Array.from({ length: 120 }, () => api(e, '/v1/calendars', 'x')));
      expect((await burst(byDefault)).some((r) => r.status === 429)).toBe(true);
      expect((await burst(off)).every((r) => r.status === 401)).toBe(true);
    } finally {
      await byDefault.close();
      await off.close();
    }
  });
});

describe('control over HTTP', () => {
  it('is absent unless controlApi is set', async () => {
    expect((await fetch(`${emulator.url}/__emulator/requests`)).status).toBe(404);
  });

  it('expires tokens, injects faults and lists requests when enabled', async () => {
    const remote = await start({ controlApi: true });
    try {
      const { access_token } = await tokensFor(remote);
      const call = (path: string, body?: unknown) =>
        fetch(`${remote.url}/__emulator/${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      expect((await call('expire-access-tokens', {})).status).toBe(204);
      expect((await api(remote, '/v1/calendars', access_token)).status).toBe(401);
      expect((await call('fail-next', { path: '/v1/account', status: 502 })).status).toBe(204);
      expect((await api(remote, '/v1/account', access_token)).status).toBe(502);
      const recorded = (await (await call('requests')).json()) as { path: string }[];
      expect(recorded.map((r) => r.path)).toContain('/v1/account');
      expect((await call('fail-next', { status: 500 })).status).toBe(400);
    } finally {
      await remote.close();
    }
  });
});
