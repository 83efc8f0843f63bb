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

describe('holds', () => {
  it('parks a request until released, then gives the normal answer as things stand at release', async () => {
    const { access_token, refresh_token } = await tokensFor(emulator);
    const held = emulator.control.hold('/v1/calendars');
    const answer = api(emulator, '/v1/calendars?x=1', access_token);
    const parked = await held.arrived;
    expect(parked).toMatchObject({ method: 'GET', path: '/v1/calendars', query: { x: '1' } });
    expect(parked.headers.authorization).toBe(`Bearer ${access_token}`);
    expect(emulator.control.requests().map((r) => [r.path, r.status])).toContainEqual(['/v1/calendars', 0]); // not answered yet

    emulator.control.revokeGrant(refresh_token); // while it is parked
    held.release();
    expect((await answer).status).toBe(401);
  });

  it('answers with the status, body and headers given at release instead', async () => {
    const held = emulator.control.hold('/oauth/token', { method: 'post' });
    const answer = post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token: 'nope' });
    expect((await held.arrived).body).toMatchObject({ grant_type: 'refresh_token' });
    held.release({ status: 503, body: { down: true }, headers: { 'Retry-After': '3' } });
    const res = await answer;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual({ down: true });
  });

  it('lets other paths and other methods through while one request is parked; each hold catches one request', async () => {
    const { access_token } = await tokensFor(emulator);
    const held = emulator.control.hold('/v1/account', { method: 'GET' });
    await expect(post(emulator, '/v1/account', {}).then((r) => r.status)).resolves.toBe(401); // another method
    const parked = api(emulator, '/v1/account', access_token);
    await held.arrived;
    expect((await api(emulator, '/v1/calendars', access_token)).status).toBe(200);
    expect((await api(emulator, '/v1/account', access_token)).status).toBe(200); // the hold is taken
    held.release();
    expect((await parked).status).toBe(200);
  });

  it('answers at once when released before its request comes', async () => {
    const { access_token } = await tokensFor(emulator);
    const held = emulator.control.hold('/v1/calendars');
    held.release({ status: 502 });
    expect((await api(emulator, '/v1/calendars', access_token)).status).toBe(502);
    expect((await held.arrived).path).toBe('/v1/calendars');
  });

  it('catches calls to one path in the order the holds were placed, one call each', async () => {
    const { access_token } = await tokensFor(emulator);
    const first = emulator.control.hold('/v1/calendars');
    const second = emulator.control.hold('/v1/calendars');
    const one = api(emulator, '/v1/calendars?n=1', access_token);
    expect((await first.arrived).query).toEqual({ n: '1' });
    const two = api(emulator, '/v1/calendars?n=2', access_token);
    expect((await second.arrived).query).toEqual({ n: '2' });
    expect((await api(emulator, '/v1/calendars?n=3', access_token)).status).toBe(200); // no hold left
    second.release({ status: 503 });
    first.release();
    expect([(await one).status, (await two).status]).toEqual([200, 503]);
  });

  it('reset sends a parked request on and forgets holds that caught nothing', async () => {
    const parkedHold = emulator.control.hold('/v1/userinfo');
    emulator.control.hold('/v1/profiles');
    const parked = api(emulator, '/v1/userinfo', 'unknown-token');
    await parkedHold.arrived;
    emulator.control.reset();
    expect((await parked).status).toBe(401);
    expect((await api(emulator, '/v1/profiles', 'unknown-token')).status).toBe(401);
  });
});

describe('rate limit', () => {
  // The emulator's clock stands still, so every call of a burst falls in the same window however slowly they arrive.
  const frozen = () => 1_700_000_000_250;

  it('answers 429 with Retry-After (to the end of the second) past the per-second limit', async () => {
    const limited = await start({ rateLimit: { perSecond: 3, perMinute: 1000 }, now: frozen });
    try {
      const statuses = await Promise.all(Array.from({ length: 8 }, () => api(limited, '/v1/calendars', 'x')));
      expect(statuses.filter((r) => r.status === 401)).toHaveLength(3);
      const tooMany = statuses.filter((r) => r.status === 429);
      expect(tooMany).toHaveLength(5);
      expect(tooMany.map((r) => r.headers.get('retry-after'))).toEqual(Array(5).fill('1'));
    } finally {
      await limited.close();
    }
  });

  it('is on by default at 50/s and can be switched off', async () => {
    const byDefault = await start({ rateLimit: undefined, now: frozen });
    const off = await start({ rateLimit: false, now: frozen });
    try {
      const burst = async (e: RunningEmulator) => (await Promise.all(Array.from({ length: 60 }, () => api(e, '/v1/calendars', 'x')))).map((r) => r.status);
      expect((await burst(byDefault)).sort()).toEqual([...Array(50).fill(401), ...Array(10).fill(429)]);
      expect(await burst(off)).toEqual(Array(60).fill(401));
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

  it('holds a request, tells when it arrived, and releases it with a chosen answer', async () => {
    const remote = await start({ controlApi: true });
    try {
      const { access_token } = await tokensFor(remote);
      const control = (path: string, body?: unknown) =>
        fetch(`${remote.url}/__emulator/${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const placed = await control('hold', { path: '/v1/calendars', method: 'GET' });
      expect(placed.status).toBe(201);
      const { id } = (await placed.json()) as { id: string };
      const arrived = control(`hold/${id}/arrived`); // answers once the request is parked
      const answer = api(remote, '/v1/calendars', access_token);
      const parked = await arrived;
      expect(parked.status).toBe(200);
      expect(await parked.json()).toMatchObject({ method: 'GET', path: '/v1/calendars', status: 0 });
      expect((await control(`hold/${id}/release`, { status: 503, body: { down: true } })).status).toBe(204);
      const res = await answer;
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ down: true });

      const again = (await (await control('hold', { path: '/v1/calendars' })).json()) as { id: string };
      const normal = api(remote, '/v1/calendars', access_token);
      expect((await control(`hold/${again.id}/arrived`)).status).toBe(200);
      expect((await control(`hold/${again.id}/release`, {})).status).toBe(204);
      expect((await normal).status).toBe(200);

      expect((await control('hold', { method: 'GET' })).status).toBe(400);
      expect((await control(`hold/${again.id}/release`, { status: 'soon' })).status).toBe(400);
      expect((await control('hold/nope/arrived')).status).toBe(404);
      expect((await control('hold/nope/release', {})).status).toBe(404);
    } finally {
      await remote.close();
    }
  });
});
