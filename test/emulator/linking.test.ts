import { consent, type CookieJar } from '../support/forms';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/types';
import { api, authorizeUrl, CLIENT, post, REDIRECT_URI, start, type TokenAnswer } from './support';

const emulators: RunningEmulator[] = [];
afterAll(() => Promise.all(emulators.map((e) => e.close())));

async function emulatorWith(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = await start(options);
  emulators.push(emulator);
  return emulator;
}

/** Allow at the consent page in the browser `jar` (cookies kept), then exchange the code. */
async function authorize(emulator: RunningEmulator, jar: CookieJar | undefined, account: string, params: Record<string, string> = {}): Promise<TokenAnswer> {
  const back = await consent(authorizeUrl(emulator, params), { account }, jar);
  const res = await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: REDIRECT_URI });
  expect(res.status).toBe(200);
  return (await res.json()) as TokenAnswer;
}

describe('implicit account linking (GET|POST /oauth/authorize)', () => {
  it('sets a persistent, HttpOnly linking cookie on the app host at the first Allow', async () => {
    const emulator = await emulatorWith();
    const page = await fetch(authorizeUrl(emulator));
    const form = await page.text();
    const body = new URLSearchParams({ response_type: 'code', client_id: CLIENT.client_id, redirect_uri: REDIRECT_URI, scope: 'read_account', decision: 'allow' });
    body.set('account', /name="account" id="account-0" value="([^"]+)"/.exec(form)![1]!);
    const answer = await fetch(`${emulator.url}/oauth/authorize`, { method: 'POST', body, redirect: 'manual' });
    const cookie = answer.headers.getSetCookie().find((c) => c.startsWith('cronofy_emulator_link='));
    expect(cookie).toMatch(/Max-Age=31536000/);
    expect(cookie).toMatch(/HttpOnly/);
  });

  it('gives a re-authorization from the same browser the same account_id, sub and refresh token, and keeps the grant', async () => {
    const emulator = await emulatorWith();
    const browser: CookieJar = {};
    const first = await authorize(emulator, browser, 'Google');
    const second = await authorize(emulator, browser, 'Google');
    expect(second.account_id).toBe(first.account_id);
    expect(second.sub).toBe(first.sub);
    expect(second.refresh_token).toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(emulator.control.liveGrants()).toEqual([{ sub: first.sub, refresh_token: first.refresh_token }]);
  });

  it('links a different account chosen in the same browser into the first: same sub, its profile added and reported', async () => {
    const emulator = await emulatorWith();
    const browser: CookieJar = {};
    const first = await authorize(emulator, browser, 'Google');
    const second = await authorize(emulator, browser, 'Microsoft');
    expect(second.sub).toBe(first.sub);
    expect(second.linking_profile?.profile_name).toBe('morgan.lee@contoso.example');
    const profiles = (await (await api(emulator, '/v1/profiles', second.access_token)).json()) as { profiles: { profile_name: string }[] };
    expect(profiles.profiles.map((p) => p.profile_name)).toEqual(['avery.quinn@northwind.example', 'morgan.lee@contoso.example']);
  });

  it("with relinkRefreshToken 'new', hands out a new refresh token and the old one stops working", async () => {
    const emulator = await emulatorWith({ relinkRefreshToken: 'new' });
    const browser: CookieJar = {};
    const first = await authorize(emulator, browser, 'Google');
    const second = await authorize(emulator, browser, 'Google');
    expect(second.sub).toBe(first.sub);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const old = await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(old.status).toBe(400);
    expect(emulator.control.liveGrants()).toEqual([{ sub: first.sub, refresh_token: second.refresh_token }]);
  });

  it('with avoid_linking=true, reads no cookie and makes a separate account (new account_id and sub) and grant', async () => {
    const emulator = await emulatorWith();
    const browser: CookieJar = {};
    const first = await authorize(emulator, browser, 'Google');
    const second = await authorize(emulator, browser, 'Google', { avoid_linking: 'true' });
    expect(second.account_id).toMatch(/^acc_[0-9a-f]{24}$/);
    expect(second.account_id).not.toBe(first.account_id);
    expect(second.sub).toBe(second.account_id);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const calendars = (await (await api(emulator, '/v1/calendars', second.access_token)).json()) as { calendars: unknown[] };
    expect(calendars.calendars.length).toBeGreaterThan(0);
    expect(emulator.control.liveGrants()).toHaveLength(2);
  });

  it('re-authorizes the account\'s one grant from a browser without the cookie (another browser): revoking the older token ends it', async () => {
    const emulator = await emulatorWith();
    const first = await authorize(emulator, {}, 'Google');
    const second = await authorize(emulator, {}, 'Google');
    expect(second.sub).toBe(first.sub); // the same person's account, seeded
    expect(second.refresh_token).toBe(first.refresh_token);
    expect(emulator.control.liveGrants()).toEqual([{ sub: first.sub, refresh_token: first.refresh_token }]);
    expect((await post(emulator, '/oauth/token/revoke', { ...CLIENT, token: first.refresh_token })).status).toBe(200);
    expect((await api(emulator, '/v1/userinfo', second.access_token)).status).toBe(401);
    expect(emulator.control.liveGrants()).toEqual([]);
  });

  it("with relinkRefreshToken 'new', another browser gets a new refresh token for the same grant and the older one is dead", async () => {
    const emulator = await emulatorWith({ relinkRefreshToken: 'new' });
    const first = await authorize(emulator, {}, 'Google');
    const second = await authorize(emulator, {}, 'Google');
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const old = await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(old.status).toBe(400);
    expect(emulator.control.liveGrants()).toEqual([{ sub: first.sub, refresh_token: second.refresh_token }]);
  });

  it('shows profiles linked in one browser to the same account authorized from another', async () => {
    const emulator = await emulatorWith();
    const browser: CookieJar = {};
    await authorize(emulator, {}, 'Google');
    await authorize(emulator, browser, 'Google');
    const linked = await authorize(emulator, browser, 'Microsoft');
    const profiles = (await (await api(emulator, '/v1/profiles', linked.access_token)).json()) as { profiles: { profile_name: string }[] };
    expect(profiles.profiles.map((p) => p.profile_name)).toEqual(['avery.quinn@northwind.example', 'morgan.lee@contoso.example']);
    expect(emulator.control.liveGrants()).toHaveLength(1);
  });
});

describe('POST /oauth/token/revoke by sub', () => {
  it('revokes the authorization of that sub and nothing else', async () => {
    const emulator = await emulatorWith();
    const a1 = await authorize(emulator, {}, 'Google');
    const separate = await authorize(emulator, {}, 'Google', { avoid_linking: 'true' }); // another Cronofy account
    const other = await authorize(emulator, {}, 'Microsoft');
    const res = await post(emulator, '/oauth/token/revoke', { ...CLIENT, sub: a1.sub });
    expect(res.status).toBe(200);
    expect(emulator.control.liveGrants()).toEqual([
      { sub: separate.sub, refresh_token: separate.refresh_token },
      { sub: other.sub, refresh_token: other.refresh_token },
    ]);
  });
});

describe('faults: dropAnswer', () => {
  it('dropAnswer performs the refresh (the token rotates) and cuts the connection', async () => {
    const emulator = await emulatorWith();
    const tokens = await authorize(emulator, undefined, 'Google');
    emulator.control.failNext('/oauth/token', { dropAnswer: true });
    await expect(post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).rejects.toThrow();
    const [grant] = emulator.control.liveGrants();
    expect(grant?.refresh_token).not.toBe(tokens.refresh_token);
  });
});

describe('test control over HTTP (/__emulator/)', () => {
  it('GET /__emulator/grants lists live grants; a hold placed over HTTP parks a call until released over HTTP', async () => {
    const emulator = await emulatorWith({ controlApi: true });
    const tokens = await authorize(emulator, undefined, 'Google');
    expect(await (await fetch(`${emulator.url}/__emulator/grants`)).json()).toEqual([{ sub: tokens.sub, refresh_token: tokens.refresh_token }]);

    const placed = await post(emulator, '/__emulator/hold', { path: '/v1/calendars' });
    expect(placed.status).toBe(201);
    const { id } = (await placed.json()) as { id: string };
    const call = api(emulator, '/v1/calendars', tokens.access_token);
    const arrived = (await (await fetch(`${emulator.url}/__emulator/hold/${id}/arrived`)).json()) as { path: string };
    expect(arrived.path).toBe('/v1/calendars');
    expect((await post(emulator, `/__emulator/hold/${id}/release`, {})).status).toBe(204);
    expect((await call).status).toBe(200);
  });

  it('refuses a fault with a field it does not know, naming it, and places nothing', async () => {
    const emulator = await emulatorWith({ controlApi: true });
    const tokens = await authorize(emulator, undefined, 'Google');
    const refused = await post(emulator, '/__emulator/fail-next', { path: '/v1/calendars', status: 500, delayMs: 5000 });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toContain('delayMs');
    expect((await api(emulator, '/v1/calendars', tokens.access_token)).status).toBe(200);
  });
});
