// Enterprise Connect end to end, over real HTTP to the emulator and a real Redis.
import { parse } from 'node-html-parser';
import { type Harness, connectThrough, connectionsOf, consent, csrfTokenFrom, startHarness } from '../support/harness';
import { cronofySignature } from '../../src/cronofy/signature';
import type { Connection } from '../../src/connections/connection';
import { authorizeEmail, callbackFor, connectEnterprise, deliver } from './support';

let h: Harness;
let clock = Date.now();
beforeAll(async () => {
  h = await startHarness({ now: () => clock, emulator: { deliverCallbacks: false }, env: { CRONOFY_PREVIOUS_CLIENT_SECRETS: 'previous_secret' } });
  // The first command must not race the connection (it has a 1 s timeout).
  if (h.redis.status !== 'ready') await new Promise((resolve) => h.redis.once('ready', resolve));
});
afterAll(() => h.close());
beforeEach(() => {
  clock = Date.now();
  h.emulator.control.clearRequests();
});

const DELEGATED = 'read_account list_calendars read_events';
const requests = (path: string) => h.emulator.control.requests().filter((r) => r.path === path);
const tokenCalls = (grant: string) => requests('/oauth/token').filter((r) => (r.body as { grant_type?: string }).grant_type === grant);
const peopleRows = (html: string) =>
  parse(html)
    .querySelectorAll('tbody tr')
    .map((row) => ({ email: row.querySelector('th')!.text.trim(), state: row.querySelector('.state')!.text.trim(), details: row.querySelectorAll('td')[1]!.text.trim(), link: row.querySelector('th a')?.getAttribute('href') }));

async function storedConnection(id: string): Promise<Connection> {
  const raw = await h.redis.get(`cronofy-connect:connection:${id}`);
  if (!raw) throw new Error(`no connection ${id}`);
  return JSON.parse(raw.slice(raw.indexOf('.') + 1)) as Connection;
}

async function connected(on: Harness = h) {
  const agent = on.agent();
  const res = await connectEnterprise(agent);
  expect(res.status).toBe(302);
  expect(res.headers.location).toBe('/enterprise');
  on.emulator.control.clearRequests();
  return agent;
}

/** The next revocation event for `reason` (other work of the worker is skipped). */
async function nextRevocationFor(reason: string) {
  for (;;) {
    const event = await h.nextRevocation();
    if (event.reason === reason) return event;
  }
}

/** The access token a page used for a Cronofy path (read from the emulator's recorded requests). */
async function tokenUsedFor(agent: Awaited<ReturnType<typeof connected>>, page: string, path: string): Promise<string> {
  h.emulator.control.clearRequests();
  await agent.get(page).expect(200);
  return String(requests(path)[0]!.headers.authorization).replace('Bearer ', '');
}

const works = async (accessToken: string, path = '/v1/calendars') =>
  (await fetch(`${h.emulator.url}${path}`, { headers: { authorization: `Bearer ${accessToken}` } })).status === 200;

/** Connected, one person asked for and Cronofy's callback delivered. */
async function withAuthorizedPerson(email = 'sam.okafor@fabrikam.example', on: Harness = h) {
  const agent = await connected(on);
  await authorizeEmail(agent, email);
  await deliver(on, callbackFor(on, email)).expect(200);
  const row = peopleRows((await agent.get('/enterprise').expect(200)).text).find((r) => r.email === email)!;
  expect(row.state).toBe('authorized');
  return { agent, row };
}

describe('GET /connect/enterprise', () => {
  it("sends the administrator to the app host's Enterprise Connect page with scope, delegated_scope and a fresh state", async () => {
    const res = await h.agent().get('/connect/enterprise').expect(302);
    const url = new URL(res.headers.location as string);
    expect(url.origin + url.pathname).toBe(`${h.emulator.url}/enterprise_connect/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: h.config.cronofy.clientId,
      redirect_uri: 'http://app.test/oauth/callback',
      scope: 'service_account/accounts/manage',
      delegated_scope: DELEGATED,
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });

  it('is finished by the same callback with the same state checks: a state from another session is refused and no code is exchanged', async () => {
    const start = await h.agent().get('/connect/enterprise').expect(302);
    const back = await consent(start.headers.location as string);
    h.emulator.control.clearRequests();
    const res = await h.agent().get(back.pathname + back.search).expect(400);
    expect(res.text).toContain('invalid or expired');
    expect(requests('/oauth/token')).toHaveLength(0);
  });

  it('shows the declined page when the administrator denies', async () => {
    const res = await connectEnterprise(h.agent(), 'Deny');
    expect(res.status).toBe(200);
    expect(requests('/oauth/token')).toHaveLength(0);
  });
});

describe('the service account', () => {
  it('is kept server-side with its service_account_id and 1800 s lifetime, and described on /enterprise from /v1/userinfo', async () => {
    const agent = h.agent();
    const res = await connectEnterprise(agent);
    const record = await storedConnectionOf(res.headers['set-cookie']);
    expect(record!.kind).toBe('enterprise');
    expect(record!.service_account_id).toMatch(/^ser_[0-9a-f]{24}$/);
    expect(record!.expires_at - clock).toBe(1800 * 1000);
    const page = await agent.get('/enterprise').expect(200);
    expect(page.text).toContain('fabrikam.example');
    expect(page.text).toContain('exchange');
    expect(page.text).toContain('service_account/accounts/manage');
    expect(page.text).toContain(record!.service_account_id);
    expect(page.text).not.toContain(record!.access_token);
  });

  it('is refreshed like any connection once it nears expiry: one refresh, the rotated refresh token kept', async () => {
    const agent = h.agent();
    const res = await connectEnterprise(agent);
    const before = (await storedConnectionOf(res.headers['set-cookie']))!;
    h.emulator.control.clearRequests();
    clock += 30 * 60 * 1000;
    await Promise.all([agent.get('/enterprise').expect(200), agent.get('/enterprise').expect(200), agent.get('/enterprise').expect(200)]);
    expect(tokenCalls('refresh_token')).toHaveLength(1);
    const after = await storedConnection(before.id);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(after.expires_at).toBe(clock + 1800 * 1000);
  });
});

describe('a service account Cronofy no longer accepts', () => {
  it('is forgotten, and the page asks to connect the service account again (not a 500, not a loop)', async () => {
    const agent = h.agent();
    const res = await connectEnterprise(agent);
    const record = (await storedConnectionOf(res.headers['set-cookie']))!;
    h.emulator.control.revokeGrant(record.refresh_token);
    clock += 30 * 60 * 1000;
    const page = await agent.get('/enterprise').expect(401);
    expect(page.text).toContain('connect the service account again');
    expect(page.text).toContain('href="/connect/enterprise"');
    expect(await h.redis.get(`cronofy-connect:connection:${record.id}`)).toBeNull();
    expect((await agent.get('/enterprise').expect(200)).text).toContain('No service account yet');
  });
});

describe('a service account Cronofy no longer accepts, with people authorized through it', () => {
  it('revokes the people too: once the session forgets the service account nobody could reach them', async () => {
    const { agent, row } = await withAuthorizedPerson('kim.novak@fabrikam.example');
    const personToken = await tokenUsedFor(agent, row.link!, '/v1/calendars');
    const serviceToken = await tokenUsedFor(agent, '/enterprise', '/v1/userinfo');
    h.emulator.control.revokeGrant(serviceToken);
    clock += 30 * 60 * 1000;
    expect((await agent.get('/enterprise').expect(401)).text).toContain('connect the service account again');
    expect(await works(personToken)).toBe(false);
  });
});

async function storedConnectionOf(setCookie: unknown): Promise<Connection | undefined> {
  return (await connectionsOf(h, setCookie)).find((c) => c.kind === 'enterprise');
}

describe('POST /enterprise/authorizations', () => {
  it('asks Cronofy with email, a callback_url holding a fresh key, the delegated scope and state; the person is pending', async () => {
    const agent = await connected();
    await authorizeEmail(agent, 'Sam.Okafor@fabrikam.example');
    const [call] = requests('/v1/service_account_authorizations');
    expect(call!.status).toBe(202);
    expect(call!.body).toEqual({
      email: 'sam.okafor@fabrikam.example',
      callback_url: expect.stringMatching(/^http:\/\/app\.test\/enterprise\/callback\/[A-Za-z0-9_-]{43}$/),
      scope: DELEGATED,
      state: expect.stringMatching(/^[0-9a-f]{24}$/),
    });
    expect(peopleRows((await agent.get('/enterprise').expect(200)).text)).toEqual([
      expect.objectContaining({ email: 'sam.okafor@fabrikam.example', state: 'pending' }),
    ]);
    await authorizeEmail(agent, 'jo.garcia@fabrikam.example');
    const urls = requests('/v1/service_account_authorizations').map((r) => (r.body as { callback_url: string }).callback_url);
    expect(new Set(urls).size).toBe(2);
  });

  it('refuses a POST without the CSRF token and asks Cronofy nothing', async () => {
    const agent = await connected();
    await agent.post('/enterprise/authorizations').type('form').send({ email: 'sam.okafor@fabrikam.example' }).expect(403);
    expect(requests('/v1/service_account_authorizations')).toHaveLength(0);
  });

  it('refuses something that is not an email address with a message, and asks Cronofy nothing', async () => {
    const agent = await connected();
    await authorizeEmail(agent, 'not an email');
    expect(requests('/v1/service_account_authorizations')).toHaveLength(0);
    expect((await agent.get('/enterprise').expect(200)).text).toContain('Type one full email address');
  });

  it('says so when the person is already pending, without asking again', async () => {
    const agent = await connected();
    await authorizeEmail(agent, 'kim.novak@fabrikam.example');
    await authorizeEmail(agent, 'kim.novak@fabrikam.example');
    expect(requests('/v1/service_account_authorizations')).toHaveLength(1);
    expect((await agent.get('/enterprise').expect(200)).text).toContain('is already pending');
  });

  it('records and shows a request Cronofy refuses outright', async () => {
    const agent = await connected();
    h.emulator.control.failNext('/v1/service_account_authorizations', { status: 422, body: { errors: { email: [{ key: 'errors.invalid', description: 'unknown domain' }] } } });
    await authorizeEmail(agent, 'kim.novak@fabrikam.example');
    const page = (await agent.get('/enterprise').expect(200)).text;
    expect(peopleRows(page)[0]).toEqual(expect.objectContaining({ state: 'failed', details: expect.stringContaining('unknown domain') }));
  });

  it('without a service account, says to connect one', async () => {
    const agent = h.agent();
    await connectThrough(agent);
    const csrf = await csrfTokenFrom(agent, '/');
    const res = await agent.post('/enterprise/authorizations').type('form').send({ _csrf: csrf, email: 'sam.okafor@fabrikam.example' }).expect(409);
    expect(res.text).toContain('Connect a service account');
  });
});

describe("POST /enterprise/callback/:key (Cronofy's answer)", () => {
  it('exchanges authorization.code with redirect_uri = the callback_url, keeps the tokens server-side, and shows the person as authorized', async () => {
    const agent = await connected();
    await authorizeEmail(agent, 'sam.okafor@fabrikam.example');
    const callback = callbackFor(h, 'sam.okafor@fabrikam.example');
    const code = (JSON.parse(callback.body) as { authorization: { code: string } }).authorization.code;
    const res = await deliver(h, callback).expect(200);
    expect(res.text).toBe('OK');
    const [exchange] = tokenCalls('authorization_code');
    expect(exchange!.body).toEqual(expect.objectContaining({ code, redirect_uri: callback.url }));
    const page = (await agent.get('/enterprise').expect(200)).text;
    expect(peopleRows(page)[0]).toEqual(expect.objectContaining({ state: 'authorized', details: expect.stringContaining('sam.okafor@fabrikam.example (exchange)') }));
    expect(page).not.toContain(code);
    expect(page).not.toContain(new URL(callback.url).pathname);
  });

  it("records Cronofy's error and reason for someone outside the domain, and shows it", async () => {
    const agent = await connected();
    await authorizeEmail(agent, 'avery.quinn@northwind.example');
    await deliver(h, callbackFor(h, 'avery.quinn@northwind.example')).expect(200);
    expect(tokenCalls('authorization_code')).toHaveLength(0);
    const [row] = peopleRows((await agent.get('/enterprise').expect(200)).text);
    expect(row).toEqual(expect.objectContaining({ state: 'failed', details: expect.stringContaining('not in fabrikam.example') }));
    expect(row!.details).toContain('access_denied / not_in_domain');
  });

  it('records a failed code exchange as the person failing, with the reason', async () => {
    const agent = await connected();
    await authorizeEmail(agent, 'jo.garcia@fabrikam.example');
    h.emulator.control.failNext('/oauth/token', { status: 400, body: { error: 'invalid_grant' } });
    await deliver(h, callbackFor(h, 'jo.garcia@fabrikam.example')).expect(200);
    const [row] = peopleRows((await agent.get('/enterprise').expect(200)).text);
    expect(row).toEqual(expect.objectContaining({ state: 'failed', details: expect.stringContaining('could not exchange') }));
  });

  it('keeps every outcome when the callbacks for several people arrive at once', async () => {
    const agent = await connected();
    const emails = ['riley.chen@fabrikam.example', 'sam.okafor@fabrikam.example', 'jo.garcia@fabrikam.example', 'kim.novak@fabrikam.example', 'nobody@fabrikam.example'];
    for (const email of emails) await authorizeEmail(agent, email);
    const answers = await Promise.all(emails.map((email) => deliver(h, callbackFor(h, email))));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const rows = peopleRows((await agent.get('/enterprise').expect(200)).text);
    expect(Object.fromEntries(rows.map((r) => [r.email, r.state]))).toEqual({
      'riley.chen@fabrikam.example': 'authorized',
      'sam.okafor@fabrikam.example': 'authorized',
      'jo.garcia@fabrikam.example': 'authorized',
      'kim.novak@fabrikam.example': 'authorized',
      'nobody@fabrikam.example': 'failed',
    });
  });

  describe('bad callbacks get a 4xx and change nothing', () => {
    async function pendingCallback() {
      const agent = await connected();
      await authorizeEmail(agent, 'kim.novak@fabrikam.example');
      return { agent, callback: callbackFor(h, 'kim.novak@fabrikam.example') };
    }
    /** After a refused callback: still pending, nothing exchanged, and the genuine callback still works once. */
    async function unchanged(agent: Awaited<ReturnType<typeof pendingCallback>>['agent'], callback: ReturnType<typeof callbackFor>) {
      expect(tokenCalls('authorization_code')).toHaveLength(0);
      expect(peopleRows((await agent.get('/enterprise').expect(200)).text)[0]!.state).toBe('pending');
      await deliver(h, callback).expect(200);
      expect(peopleRows((await agent.get('/enterprise').expect(200)).text)[0]!.state).toBe('authorized');
    }

    it('M14: a missing signature: 401', async () => {
      const { agent, callback } = await pendingCallback();
      await deliver(h, callback, { headers: { 'cronofy-hmac-sha256': undefined } }).expect(401);
      await unchanged(agent, callback);
    });

    it('M14: a wrong signature, or a body changed after signing: 401', async () => {
      const { agent, callback } = await pendingCallback();
      await deliver(h, callback, { headers: { 'cronofy-hmac-sha256': 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' } }).expect(401);
      await deliver(h, callback, { body: callback.body.replace('"code":"', '"code":"x') }).expect(401);
      await unchanged(agent, callback);
    });

    it('M14: during a secret rotation, a callback signed with a previous secret alone is accepted; one signed with an unknown secret is not', async () => {
      const { agent, callback } = await pendingCallback();
      const sign = (secret: string) => cronofySignature(Buffer.from(callback.body), secret);
      await deliver(h, callback, { headers: { 'cronofy-hmac-sha256': sign('not_a_secret_of_ours') } }).expect(401);
      expect(tokenCalls('authorization_code')).toHaveLength(0);
      await deliver(h, callback, { headers: { 'cronofy-hmac-sha256': sign('previous_secret') } }).expect(200);
      expect(peopleRows((await agent.get('/enterprise').expect(200)).text)[0]!.state).toBe('authorized');
    });

    it('an unknown key: 404', async () => {
      const { agent, callback } = await pendingCallback();
      const other = { ...callback, url: `http://app.test/enterprise/callback/${'A'.repeat(43)}` };
      await deliver(h, other).expect(404);
      await deliver(h, { ...callback, url: 'http://app.test/enterprise/callback/short' }).expect(404);
      await unchanged(agent, callback);
    });

    it('M14: a replay: 404, and the code is not exchanged twice', async () => {
      const { agent, callback } = await pendingCallback();
      await unchanged(agent, callback);
      await deliver(h, callback).expect(404);
      expect(tokenCalls('authorization_code')).toHaveLength(1);
      expect(peopleRows((await agent.get('/enterprise').expect(200)).text)[0]!.state).toBe('authorized');
    });

    it('M14: an oversized body: 413', async () => {
      const { agent, callback } = await pendingCallback();
      const big = JSON.stringify({ authorization: { code: 'c' }, padding: 'x'.repeat(20_000) });
      await deliver(h, callback, { body: big, headers: { 'cronofy-hmac-sha256': cronofySignature(big, h.config.cronofy.clientSecret) } }).expect(413);
      await unchanged(agent, callback);
    });

    it('malformed JSON, or JSON without an authorization (even when signed): 400', async () => {
      const { agent, callback } = await pendingCallback();
      for (const body of ['{"authorization":', '{"something":"else"}', '{"authorization":{"code":"has space"}}', '[]']) {
        await deliver(h, callback, { body, headers: { 'cronofy-hmac-sha256': cronofySignature(body, h.config.cronofy.clientSecret) } }).expect(400);
      }
      await unchanged(agent, callback);
    });
  });
});

describe('an authorized person', () => {
  it("GET /enterprise/people/:id lists their calendars, read with the person's own token", async () => {
    const { agent, row } = await withAuthorizedPerson();
    h.emulator.control.clearRequests();
    const page = await agent.get(row.link!).expect(200);
    expect(page.text).toContain('Fabrikam team');
    const [call] = requests('/v1/calendars');
    expect(call!.status).toBe(200);
  });

  it('without unrestricted access (the default) is asked by Cronofy to approve Extended Permissions themselves: the page says so, nothing is granted', async () => {
    const { agent, row } = await withAuthorizedPerson('jo.garcia@fabrikam.example');
    const csrf = await csrfTokenFrom(agent, row.link!);
    await agent.post(`${row.link!}/permissions`).type('form').send({ _csrf: csrf }).expect(302);
    const page = await agent.get(row.link!).expect(200);
    expect(page.text).toContain('Cronofy answered with an approval page for jo.garcia@fabrikam.example to approve the request themselves');
    expect(page.text).toContain('CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS=true');
    expect(page.text).not.toContain('granted unrestricted access');
  });

  describe('with CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS=true', () => {
    let unrestricted: Harness;
    beforeAll(async () => {
      unrestricted = await startHarness({ now: () => clock, emulator: { deliverCallbacks: false }, env: { CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS: 'true' } });
    });
    afterAll(() => unrestricted.close());

    it('gets Extended Permissions at once (accepted: true)', async () => {
      const { agent, row } = await withAuthorizedPerson('jo.garcia@fabrikam.example', unrestricted);
      const csrf = await csrfTokenFrom(agent, row.link!);
      await agent.post(`${row.link!}/permissions`).type('form').send({ _csrf: csrf }).expect(302);
      const page = await agent.get(row.link!).expect(200);
      expect(page.text).toContain('granted unrestricted access');
      expect(page.text).not.toContain('level sandbox');
    });
  });

  it("I2: a 403 on the person's calendars names the permission their grant lacks and where it comes from (CRONOFY_ENTERPRISE_DELEGATED_SCOPE), not CRONOFY_SCOPE", async () => {
    const { agent, row } = await withAuthorizedPerson('riley.chen@fabrikam.example');
    h.emulator.control.failNext('/v1/calendars', { status: 403, body: {} });
    const page = parse((await agent.get(row.link!).expect(403)).text);
    expect(page.querySelector('h1')?.text).toBe('A permission is missing: list_calendars');
    const text = page.querySelector('main')!.text;
    expect(text).toContain("with this person's grant, which lacks list_calendars");
    expect(text).toContain('CRONOFY_ENTERPRISE_DELEGATED_SCOPE');
    expect(text).not.toContain('CRONOFY_SCOPE lists');
    expect(page.querySelectorAll('main a').map((a) => a.getAttribute('href'))).toContain('/enterprise');
  });

  it("can be revoked: Cronofy is told, the person's token stops working, the list says revoked", async () => {
    const { agent, row } = await withAuthorizedPerson('kim.novak@fabrikam.example');
    h.emulator.control.clearRequests();
    await agent.get(row.link!).expect(200);
    const personToken = String(requests('/v1/calendars')[0]!.headers.authorization).replace('Bearer ', '');
    expect((await fetch(`${h.emulator.url}/v1/calendars`, { headers: { authorization: `Bearer ${personToken}` } })).status).toBe(200);
    const csrf = await csrfTokenFrom(agent, '/enterprise');
    h.emulator.control.clearRequests();
    await agent.post(`${row.link!}/revoke`).type('form').send({ _csrf: csrf }).expect(302);
    expect(requests('/oauth/token/revoke')).toHaveLength(1);
    expect((await fetch(`${h.emulator.url}/v1/calendars`, { headers: { authorization: `Bearer ${personToken}` } })).status).toBe(401);
    const list = peopleRows((await agent.get('/enterprise').expect(200)).text);
    expect(list[0]!.state).toBe('revoked');
    await agent.get(row.link!).expect(409);
  });

  it('a revoke Cronofy does not confirm is queued, the page says revocation pending, and the worker retries until Cronofy confirms', async () => {
    const { agent, row } = await withAuthorizedPerson('kim.novak@fabrikam.example');
    const personToken = await tokenUsedFor(agent, row.link!, '/v1/calendars');
    const csrf = await csrfTokenFrom(agent, '/enterprise');
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503, times: 2 });
    const settled: string[] = [];
    const confirmed = (async () => {
      for (;;) {
        const event = await nextRevocationFor('disconnect');
        settled.push(event.outcome);
        if (event.outcome === 'revoked') return;
        clock += 10 * 60 * 1000; // the next try falls due
      }
    })();
    await agent.post(`${row.link!}/revoke`).type('form').send({ _csrf: csrf }).expect(302);
    expect((await agent.get('/enterprise').expect(200)).text).toContain('Revocation pending');
    await confirmed;
    expect(settled).toEqual(['queued', 'retry', 'revoked']);
    expect(await works(personToken)).toBe(false);
  });

  it("an id that is not one of this service account's people is a 404", async () => {
    const { row } = await withAuthorizedPerson();
    const stranger = await connected();
    await stranger.get(row.link!).expect(404);
    await stranger.get('/enterprise/people/..%2f..%2fetc').expect(404);
  });
});

describe('POST /enterprise/disconnect', () => {
  it('revokes the service account and every authorized person, cancels pending ones, and says so', async () => {
    const { agent } = await withAuthorizedPerson('sam.okafor@fabrikam.example');
    await authorizeEmail(agent, 'jo.garcia@fabrikam.example');
    await deliver(h, callbackFor(h, 'jo.garcia@fabrikam.example')).expect(200);
    await authorizeEmail(agent, 'kim.novak@fabrikam.example');
    const pending = callbackFor(h, 'kim.novak@fabrikam.example');
    const csrf = await csrfTokenFrom(agent, '/enterprise');
    h.emulator.control.clearRequests();
    await agent.post('/enterprise/disconnect').type('form').send({ _csrf: csrf }).expect(302).expect('Location', '/');
    expect(requests('/oauth/token/revoke')).toHaveLength(3);
    const home = await agent.get('/').expect(200);
    expect(home.text).toContain('Cronofy has revoked it');
    expect(home.text).toContain('The 2 people authorized through it lost access too');
    expect(home.text).toContain('1 pending request was cancelled');
    await deliver(h, pending).expect(404);
    expect(tokenCalls('authorization_code')).toHaveLength(0);
  });
});

describe('POST /enterprise/disconnect when Cronofy cannot be reached', () => {
  it('says revocation pending for the service account and the person, and the queue revokes both', async () => {
    const { agent, row } = await withAuthorizedPerson('sam.okafor@fabrikam.example');
    const personToken = await tokenUsedFor(agent, row.link!, '/v1/calendars');
    const serviceToken = await tokenUsedFor(agent, '/enterprise', '/v1/userinfo');
    const csrf = await csrfTokenFrom(agent, '/enterprise');
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503, times: 2 });
    const outcomes: string[] = [];
    const bothConfirmed = (async () => {
      while (outcomes.filter((o) => o === 'revoked').length < 2) outcomes.push((await nextRevocationFor('disconnect')).outcome);
    })();
    await agent.post('/enterprise/disconnect').type('form').send({ _csrf: csrf }).expect(302);
    const home = (await agent.get('/').expect(200)).text;
    expect(home).toContain('Disconnected the service account. Revocation pending');
    expect(home).toContain('Revocation pending for 1 of them');
    expect(outcomes).toEqual(['queued', 'queued']);
    clock += 10 * 60 * 1000;
    await bothConfirmed;
    expect(await works(personToken)).toBe(false);
    expect(await works(serviceToken, '/v1/userinfo')).toBe(false);
  });
});

describe('POST /logout with a service account', () => {
  it('revokes the service account and its people at Cronofy: they belonged to the session', async () => {
    const { agent, row } = await withAuthorizedPerson('jo.garcia@fabrikam.example');
    const personToken = await tokenUsedFor(agent, row.link!, '/v1/calendars');
    const serviceToken = await tokenUsedFor(agent, '/enterprise', '/v1/userinfo');
    const csrf = await csrfTokenFrom(agent, '/');
    h.emulator.control.clearRequests();
    const page = await agent.post('/logout').type('form').send({ _csrf: csrf }).expect(200);
    expect(page.text).toContain('Enterprise Connect belonged to this session only');
    expect(page.text).toContain('Cronofy has revoked it');
    expect(requests('/oauth/token/revoke')).toHaveLength(2);
    expect(await works(personToken)).toBe(false);
    expect(await works(serviceToken, '/v1/userinfo')).toBe(false);
  });
});

describe('a person whose token answer cannot be used', () => {
  it('is given back to Cronofy, and the person is shown as failed with the reason', async () => {
    const absurd = await startHarness({ now: () => clock, emulator: { deliverCallbacks: false, accessTokenTtl: 1e13 } });
    try {
      const agent = absurd.agent();
      expect((await connectEnterprise(agent)).status).toBe(302); // a service account lives 1800 s
      const services = absurd.emulator.control.liveGrants();
      await authorizeEmail(agent, 'riley.chen@fabrikam.example');
      await deliver(absurd, callbackFor(absurd, 'riley.chen@fabrikam.example')).expect(200);
      const rows = parse((await agent.get('/enterprise').expect(200)).text).querySelectorAll('tbody tr');
      expect(rows[0]!.querySelector('.state')!.text.trim()).toBe('failed');
      expect(rows[0]!.text).toContain('impossible lifetime');
      expect(absurd.emulator.control.liveGrants()).toEqual(services);
    } finally {
      await absurd.close();
    }
  });
});

describe('secrets', () => {
  it('never writes a callback key, code or token into the logs', async () => {
    const { agent } = await withAuthorizedPerson('sam.okafor@fabrikam.example');
    await agent.get('/enterprise').expect(200);
    const callback = callbackFor(h, 'sam.okafor@fabrikam.example');
    const key = new URL(callback.url).pathname.split('/').pop()!;
    const code = (JSON.parse(callback.body) as { authorization: { code: string } }).authorization.code;
    const logs = h.logs.join('\n');
    expect(logs).toContain('/enterprise/callback/[redacted]');
    expect(logs).not.toContain(key);
    expect(logs).not.toContain(code);
  });
});

describe('a service account whose session has ended', () => {
  it('lapses with the session (8 hours at most), and the worker revokes it and its people', async () => {
    const { agent, row } = await withAuthorizedPerson('sam.okafor@fabrikam.example');
    const personToken = await tokenUsedFor(agent, row.link!, '/v1/calendars');
    const serviceToken = await tokenUsedFor(agent, '/enterprise', '/v1/userinfo');
    clock += 9 * 60 * 60 * 1000; // past the session's absolute lifetime: no browser can reach them
    for (;;) {
      const next = nextRevocationFor('lapsed');
      if (!(await works(personToken)) && !(await works(serviceToken, '/v1/userinfo'))) break;
      await next;
    }
    await agent.get('/enterprise').expect(200); // a new session: nothing connected
  });
});

// Last: it stops the first instance's revocation worker for the rest of the file.
describe('a queued Enterprise Connect revoke across a restart', () => {
  it('is confirmed by another instance started later', async () => {
    const { agent, row } = await withAuthorizedPerson('riley.chen@fabrikam.example');
    const personToken = await tokenUsedFor(agent, row.link!, '/v1/calendars');
    h.stopFirstWorker(); // this instance's worker ends, as its process would
    const csrf = await csrfTokenFrom(agent, '/enterprise');
    h.emulator.control.failNext('/oauth/token/revoke', { status: 503 });
    const queued = nextRevocationFor('disconnect');
    await agent.post(`${row.link!}/revoke`).type('form').send({ _csrf: csrf }).expect(302);
    expect((await queued).outcome).toBe('queued');
    expect(await works(personToken)).toBe(true);

    clock += 10 * 60 * 1000;
    const confirmed = nextRevocationFor('disconnect');
    h.secondInstance(); // a new process on the same Redis
    expect((await confirmed).outcome).toBe('revoked');
    expect(await works(personToken)).toBe(false);
  });
});
