import type { RunningEmulator } from '../../src/emulator/types';
import { api, CLIENT, codeFor, post, REDIRECT_URI, start, tokensFor, type TokenAnswer } from './support';

let emulator: RunningEmulator;
let clock = Date.now();
beforeAll(async () => {
  emulator = await start({ now: () => clock });
});
afterAll(() => emulator.close());

const exchange = (code: string, overrides: Record<string, string> = {}, encoding: 'json' | 'form' = 'json') =>
  post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...overrides }, encoding);
const refresh = (refresh_token: string) => post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token });
const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

describe('POST /oauth/token (authorization_code)', () => {
  it('answers the documented token shape with no-store, for a JSON body', async () => {
    const res = await exchange(await codeFor(emulator, { account: 'Google' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    const answer = (await res.json()) as TokenAnswer;
    expect(answer).toEqual({
      token_type: 'bearer',
      access_token: expect.stringMatching(/^[\x21-\x7e]{32}$/),
      expires_in: 3600,
      refresh_token: expect.stringMatching(/^[\x21-\x7e]{32}$/),
      scope: 'read_account list_calendars read_events create_event delete_event',
      account_id: expect.stringMatching(/^acc_[0-9a-f]{24}$/),
      sub: answer.account_id,
      linking_profile: { provider_name: 'google', provider_service: 'gsuite', profile_id: expect.stringMatching(/^pro_/), profile_name: 'avery.quinn@northwind.example' },
    });
  });

  it('accepts a form-encoded body too', async () => {
    const res = await exchange(await codeFor(emulator), {}, 'form');
    expect(res.status).toBe(200);
  });

  it('gives an organizational unit token for organizational_unit_scheduler, with the unit sub', async () => {
    const answer = await tokensFor(emulator, { scope: 'organizational_unit_scheduler' });
    expect(answer.scope).toBe('organizational_unit_scheduler');
    expect(answer.sub).toMatch(/^org_[0-9a-f]{24}$/);
    expect(answer.account_id).toBeUndefined();
  });

  it('answers invalid_grant to a used code and revokes what the code granted', async () => {
    const code = await codeFor(emulator);
    const first = (await (await exchange(code)).json()) as TokenAnswer;
    const again = await exchange(code);
    expect(again.status).toBe(400);
    expect(await errorOf(again)).toBe('invalid_grant');
    expect((await api(emulator, '/v1/calendars', first.access_token)).status).toBe(401);
    expect(await errorOf(await refresh(first.refresh_token))).toBe('invalid_grant');
  });

  it('answers invalid_grant when redirect_uri differs from the authorization request', async () => {
    const res = await exchange(await codeFor(emulator), { redirect_uri: 'http://app.test/permissions/callback' });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toBe('invalid_grant');
  });

  it('answers invalid_grant to an unknown code, and to a code older than 10 minutes', async () => {
    expect(await errorOf(await exchange('x'.repeat(32)))).toBe('invalid_grant');
    const code = await codeFor(emulator);
    clock += 10 * 60_000 + 1;
    expect(await errorOf(await exchange(code))).toBe('invalid_grant');
  });

  it('answers 401 invalid_client to a wrong client secret, before looking at the code', async () => {
    const code = await codeFor(emulator);
    const res = await exchange(code, { client_secret: 'wrong' });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toBe('invalid_client');
    expect((await exchange(code)).status).toBe(200);
  });

  it('answers unsupported_grant_type and invalid_request per RFC 6749 §5.2', async () => {
    expect(await errorOf(await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'password' }))).toBe('unsupported_grant_type');
    expect(await errorOf(await post(emulator, '/oauth/token', { ...CLIENT }))).toBe('invalid_request');
    expect(await errorOf(await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code' }))).toBe('invalid_request');
    const malformed = await fetch(`${emulator.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(malformed.status).toBe(400);
    expect(await errorOf(malformed)).toBe('invalid_request');
  });
});

describe('POST /oauth/token (refresh_token)', () => {
  it('returns a new access token and a rotated refresh token; the old refresh token stops working', async () => {
    const first = await tokensFor(emulator);
    const res = await refresh(first.refresh_token);
    const second = (await res.json()) as TokenAnswer;
    expect(Object.keys(second).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect((await api(emulator, '/v1/calendars', second.access_token)).status).toBe(200);
    expect(await errorOf(await refresh(first.refresh_token))).toBe('invalid_grant');
    expect((await refresh(second.refresh_token)).status).toBe(200);
  });

  it('keeps the refresh token when rotation is switched off', async () => {
    const fixed = await start({ rotateRefreshTokens: false });
    try {
      const first = await tokensFor(fixed);
      const body = { ...CLIENT, grant_type: 'refresh_token', refresh_token: first.refresh_token };
      const again = (await (await post(fixed, '/oauth/token', body)).json()) as TokenAnswer;
      expect(again.refresh_token).toBe(first.refresh_token);
      expect((await post(fixed, '/oauth/token', body)).status).toBe(200);
    } finally {
      await fixed.close();
    }
  });

  it('gives tokens that live accessTokenTtl seconds', async () => {
    const short = await start({ accessTokenTtl: 60, now: () => clock });
    try {
      const tokens = await tokensFor(short);
      expect(tokens.expires_in).toBe(60);
      expect((await api(short, '/v1/calendars', tokens.access_token)).status).toBe(200);
      clock += 60_000;
      expect((await api(short, '/v1/calendars', tokens.access_token)).status).toBe(401);
    } finally {
      await short.close();
    }
  });
});

describe('POST /oauth/token/revoke', () => {
  it('revokes the whole authorization by refresh token: 200 with an empty body', async () => {
    const tokens = await tokensFor(emulator);
    const res = await post(emulator, '/oauth/token/revoke', { ...CLIENT, token: tokens.refresh_token });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect((await api(emulator, '/v1/calendars', tokens.access_token)).status).toBe(401);
    expect(await errorOf(await refresh(tokens.refresh_token))).toBe('invalid_grant');
  });

  it('revokes by access token, and by sub (form body)', async () => {
    const a = await tokensFor(emulator, { account: 'Microsoft' });
    await post(emulator, '/oauth/token/revoke', { ...CLIENT, token: a.access_token });
    expect(await errorOf(await refresh(a.refresh_token))).toBe('invalid_grant');

    const org = await tokensFor(emulator, { scope: 'organizational_unit_scheduler' });
    expect((await post(emulator, '/oauth/token/revoke', { ...CLIENT, sub: org.sub ?? '' }, 'form')).status).toBe(200);
    expect((await api(emulator, '/v1/organizational_unit_members', org.access_token)).status).toBe(401);
  });

  it('answers 200 for an unknown token (RFC 7009), 400 with neither token nor sub', async () => {
    expect((await post(emulator, '/oauth/token/revoke', { ...CLIENT, token: 'unknown' })).status).toBe(200);
    expect((await post(emulator, '/oauth/token/revoke', { ...CLIENT })).status).toBe(400);
  });

  it('answers 400 invalid_client to a wrong secret, as the C# SDK test of a failing revoke shows, and revokes nothing', async () => {
    const tokens = await tokensFor(emulator);
    for (const encoding of ['json', 'form'] as const) {
      const res = await post(emulator, '/oauth/token/revoke', { ...CLIENT, client_secret: 'no', token: tokens.refresh_token }, encoding);
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toBe('invalid_client');
    }
    expect((await api(emulator, '/v1/calendars', tokens.access_token)).status).toBe(200);
  });
});
