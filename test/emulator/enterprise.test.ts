// The emulator's Enterprise Connect: the administrator's page, service-account tokens,
// /v1/service_account_authorizations, the signed callbacks, the delegated code exchange.
import { createHmac } from 'node:crypto';
import { consent } from '../support/forms';
import type { RunningEmulator } from '../../src/emulator/types';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from '../../src/emulator/types';
import { api, CLIENT, PERMISSIONS_REDIRECT_URI, post, REDIRECT_URI, start, tokensFor, type TokenAnswer } from './support';

let emulator: RunningEmulator;
let clock = Date.now();
beforeAll(async () => {
  emulator = await start({ now: () => clock, deliverCallbacks: false });
});
afterAll(() => emulator.close());
beforeEach(() => {
  clock = Date.now();
  emulator.control.reset();
});

const MANAGE = 'service_account/accounts/manage';
const DELEGATED = 'read_account list_calendars read_events';
const CALLBACK = 'http://app.test/enterprise/callback/k3y';

function enterpriseUrl(params: Record<string, string> = {}): string {
  const query = new URLSearchParams({ response_type: 'code', client_id: SANDBOX_CLIENT_ID, redirect_uri: REDIRECT_URI, scope: MANAGE, delegated_scope: DELEGATED, state: 'st4te', ...params });
  return `${emulator.url}/enterprise_connect/oauth/authorize?${query.toString()}`;
}

async function serviceTokens(params: Record<string, string> = {}): Promise<TokenAnswer & { service_account_id: string }> {
  const back = await consent(enterpriseUrl(params));
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code in ${back.toString()}`);
  const res = await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
  expect(res.status).toBe(200);
  return (await res.json()) as TokenAnswer & { service_account_id: string };
}

const authorize = (token: string, body: unknown) => api(emulator, '/v1/service_account_authorizations', token, { method: 'POST', body: JSON.stringify(body) });
const payloads = () => emulator.control.callbacks().map((c) => JSON.parse(c.body) as { authorization: Record<string, string> });

describe('GET /enterprise_connect/oauth/authorize', () => {
  it("shows the administrator's domain, its people, and what the service account and the people's grants allow", async () => {
    const page = await fetch(enterpriseUrl());
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('fabrikam.example');
    expect(html).toContain('it.admin@fabrikam.example');
    expect(html).toContain('riley.chen@fabrikam.example');
    expect(html).toContain("Ask for access to the calendars of your domain&#39;s people");
    expect(html).toContain('Read the events in their calendars');
  });

  it('sends delegated_scope problems and Deny back with state', async () => {
    const missing = await fetch(enterpriseUrl({ delegated_scope: '' }), { redirect: 'manual' });
    expect(new URL(missing.headers.get('location')!).searchParams.get('error')).toBe('invalid_scope');
    const wrongScope = await fetch(enterpriseUrl({ scope: 'read_events' }), { redirect: 'manual' });
    expect(new URL(wrongScope.headers.get('location')!).searchParams.get('error')).toBe('invalid_scope');
    const denied = await consent(enterpriseUrl(), { decision: 'Deny' });
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('st4te');
  });

  it('refuses an unregistered redirect_uri with a page, not a redirect', async () => {
    const res = await fetch(enterpriseUrl({ redirect_uri: 'http://evil.test/cb' }), { redirect: 'manual' });
    expect(res.status).toBe(400);
  });
});

describe('service-account tokens', () => {
  it('answers the documented shape: 1800 s, the scope, service_account_id', async () => {
    const tokens = await serviceTokens();
    expect(tokens).toEqual({
      token_type: 'bearer',
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: 1800,
      scope: MANAGE,
      service_account_id: expect.stringMatching(/^ser_[0-9a-f]{24}$/),
    });
  });

  it('refreshes with rotation, still 1800 s', async () => {
    const tokens = await serviceTokens();
    const res = await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    const refreshed = (await res.json()) as TokenAnswer;
    expect(refreshed.expires_in).toBe(1800);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  });

  it('stops working 1800 s after it was issued', async () => {
    const tokens = await serviceTokens();
    clock += 1801 * 1000;
    expect((await api(emulator, '/v1/userinfo', tokens.access_token)).status).toBe(401);
  });

  it('GET /v1/userinfo answers the documented service-account form', async () => {
    const tokens = await serviceTokens();
    const res = await api(emulator, '/v1/userinfo', tokens.access_token);
    expect(await res.json()).toEqual({
      sub: tokens.service_account_id,
      'cronofy.type': 'service_account',
      'cronofy.data': {
        service_account: { provider_name: 'exchange', domain: 'fabrikam.example' },
        authorization: { scope: MANAGE, status: 'active', delegated_scope: DELEGATED },
      },
      email: 'exchange-service-account@fabrikam.example',
    });
  });

  it('cannot read calendars itself', async () => {
    const tokens = await serviceTokens();
    expect((await api(emulator, '/v1/calendars', tokens.access_token)).status).toBe(403);
  });
});

describe('POST /v1/service_account_authorizations', () => {
  it('answers 202 with no body and decides a signed callback carrying a code', async () => {
    const tokens = await serviceTokens();
    const res = await authorize(tokens.access_token, { email: 'sam.okafor@fabrikam.example', callback_url: CALLBACK, scope: 'read_account list_calendars', state: 'mine' });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    const [sent] = emulator.control.callbacks();
    expect(sent!.url).toBe(CALLBACK);
    expect(sent!.headers['cronofy-hmac-sha256']).toBe(createHmac('sha256', SANDBOX_CLIENT_SECRET).update(sent!.body).digest('base64'));
    expect(payloads()[0]).toEqual({ authorization: { code: expect.stringMatching(/^[\x21-\x7e]{32}$/) } });
  });

  it("the code is exchanged only with redirect_uri = the callback_url, for the person's own token", async () => {
    const tokens = await serviceTokens();
    await authorize(tokens.access_token, { email: 'Sam.Okafor@fabrikam.example', callback_url: CALLBACK, scope: 'read_account list_calendars' });
    const code = payloads()[0]!.authorization.code!;
    const wrong = await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    expect(wrong.status).toBe(400);

    await authorize(tokens.access_token, { email: 'sam.okafor@fabrikam.example', callback_url: CALLBACK, scope: 'read_account list_calendars' });
    const second = payloads()[1]!.authorization.code!;
    const res = await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code: second, redirect_uri: CALLBACK });
    expect(res.status).toBe(200);
    const person = (await res.json()) as TokenAnswer;
    expect(person.scope).toBe('read_account list_calendars');
    expect(person.linking_profile?.profile_name).toBe('sam.okafor@fabrikam.example');
    const calendars = await api(emulator, '/v1/calendars', person.access_token);
    expect(((await calendars.json()) as { calendars: unknown[] }).calendars).toHaveLength(2);
  });

  /** Extended Permissions requested with the token of a person the service account authorized. */
  async function personRequestsPermissions(serviceScope: string, body: Record<string, unknown> = {}, email = 'jo.garcia@fabrikam.example') {
    const tokens = await serviceTokens({ scope: serviceScope });
    await authorize(tokens.access_token, { email, callback_url: CALLBACK, scope: 'read_account list_calendars' });
    const res = await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code: payloads().at(-1)!.authorization.code!, redirect_uri: CALLBACK });
    const person = (await res.json()) as TokenAnswer;
    const calendars = (await (await api(emulator, '/v1/calendars', person.access_token)).json()) as { calendars: { calendar_id: string }[] };
    const answer = await api(emulator, '/v1/permissions', person.access_token, {
      method: 'POST',
      body: JSON.stringify({ permissions: [{ calendar_id: calendars.calendars[0]!.calendar_id, permission_level: 'unrestricted' }], ...body }),
    });
    return { status: answer.status, body: (await answer.json()) as unknown };
  }

  it('grants Extended Permissions for an authorized person at once when the service account has unrestricted access', async () => {
    expect(await personRequestsPermissions(`${MANAGE} service_account/accounts/unrestricted_access`)).toEqual({ status: 200, body: { permissions_request: { accepted: true } } });
  });

  it('decides by the service account that authorized the person last, whichever of their grants came first', async () => {
    // Riley Chen is also on the consent page as a linked account: that grant comes first here.
    const own = await tokensFor(emulator, { account: 'Enterprise Connect (linked)' });
    const calendars = (await (await api(emulator, '/v1/calendars', own.access_token)).json()) as { calendars: { calendar_id: string }[] };
    const ask = (token: string) =>
      api(emulator, '/v1/permissions', token, {
        method: 'POST',
        body: JSON.stringify({ permissions: [{ calendar_id: calendars.calendars[1]!.calendar_id, permission_level: 'unrestricted' }], redirect_uri: PERMISSIONS_REDIRECT_URI }),
      }).then((res) => res.json());
    const answer = await personRequestsPermissions(MANAGE, { redirect_uri: PERMISSIONS_REDIRECT_URI }, 'riley.chen@fabrikam.example');
    expect(answer.body).toEqual({ permissions_request: { url: expect.any(String) } });
    expect(await ask(own.access_token)).toEqual({ permissions_request: { url: expect.any(String) } });
  });

  it('asks the person to approve, as any account, when the service account has no unrestricted access (unconfirmed)', async () => {
    const answer = await personRequestsPermissions(MANAGE, { redirect_uri: PERMISSIONS_REDIRECT_URI });
    expect(answer).toEqual({ status: 200, body: { permissions_request: { url: expect.stringMatching(/\/permissions\/requests\//) } } });
  });

  it('decides an error for people outside the domain, and for unknown people in it', async () => {
    const tokens = await serviceTokens();
    await authorize(tokens.access_token, {
      service_account_authorizations: [
        { email: 'avery.quinn@northwind.example', callback_url: `${CALLBACK}1`, scope: 'read_account' },
        { email: 'nobody@fabrikam.example', callback_url: `${CALLBACK}2`, scope: 'read_account' },
        { email: 'kim.novak@fabrikam.example', callback_url: `${CALLBACK}3`, scope: 'read_account' },
      ],
    }).then((res) => expect(res.status).toBe(202));
    const [outside, unknown, kim] = payloads();
    expect(outside!.authorization).toEqual({ error: 'access_denied', error_key: 'not_in_domain', error_description: expect.stringContaining('fabrikam.example') });
    expect(unknown!.authorization.error_key).toBe('account_not_found');
    expect(kim!.authorization.code).toEqual(expect.any(String));
    expect(emulator.control.callbacks().map((c) => c.url)).toEqual([`${CALLBACK}1`, `${CALLBACK}2`, `${CALLBACK}3`]);
  });

  it('refuses a mix of forms, a batch over 50, a scope beyond delegated_scope, a bad callback_url: 422, nothing sent', async () => {
    const tokens = await serviceTokens();
    const one = { email: 'sam.okafor@fabrikam.example', callback_url: CALLBACK, scope: 'read_account' };
    const bad = [
      { ...one, service_account_authorizations: [one] },
      { service_account_authorizations: Array.from({ length: 51 }, () => one) },
      { service_account_authorizations: [] },
      { ...one, scope: 'read_account delete_event' },
      { ...one, callback_url: 'javascript:alert(1)' },
      { ...one, email: 'not-an-email' },
    ];
    for (const body of bad) {
      const res = await authorize(tokens.access_token, body);
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({ errors: expect.any(Object) });
    }
    expect(emulator.control.callbacks()).toEqual([]);
  });

  it('needs a service-account token with service_account/accounts/manage', async () => {
    const person = await tokensFor(emulator);
    const res = await authorize(person.access_token, { email: 'sam.okafor@fabrikam.example', callback_url: CALLBACK, scope: 'read_account' });
    expect(res.status).toBe(403);
    const resourcesOnly = await serviceTokens({ scope: 'service_account/resources/manage' });
    expect((await authorize(resourcesOnly.access_token, { email: 'sam.okafor@fabrikam.example', callback_url: CALLBACK, scope: 'read_account' })).status).toBe(403);
  });
});

describe('callback delivery', () => {
  it('POSTs the body to callback_url after answering, signed with every active client secret as push notifications are, and records the answer', async () => {
    const received: { body: string; signature: string | undefined }[] = [];
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString(), signature: req.headers['cronofy-hmac-sha256'] as string | undefined });
        res.writeHead(200).end('OK');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const delivering = await start({ deliverCallbacks: true, rotatingClientSecrets: ['previous_client_secret'] });
    try {
      const back = await consent(`${delivering.url}/enterprise_connect/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: SANDBOX_CLIENT_ID, redirect_uri: REDIRECT_URI, scope: MANAGE, delegated_scope: DELEGATED }).toString()}`);
      const tokenRes = await post(delivering, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT_URI });
      const tokens = (await tokenRes.json()) as TokenAnswer;
      const url = `http://127.0.0.1:${port}/cb/abc`;
      const res = await api(delivering, '/v1/service_account_authorizations', tokens.access_token, { method: 'POST', body: JSON.stringify({ email: 'jo.garcia@fabrikam.example', callback_url: url, scope: 'read_account' }) });
      expect(res.status).toBe(202);
      await delivering.control.callbacksSettled();
      expect(received).toHaveLength(1);
      const hmac = (secret: string) => createHmac('sha256', secret).update(received[0]!.body).digest('base64');
      expect(received[0]!.signature).toBe(`${hmac(SANDBOX_CLIENT_SECRET)},${hmac('previous_client_secret')}`);
      expect(delivering.control.callbacks()[0]).toMatchObject({ status: 200, headers: { 'cronofy-hmac-sha256': received[0]!.signature } });
    } finally {
      await delivering.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
