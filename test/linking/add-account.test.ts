import { parse } from 'node-html-parser';
import { profileHealth } from '../../src/linking/health';
import { connectThrough, connectionsOf, consent, csrfTokenFrom, type Harness, pathOf, startHarness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.emulator.control.reset());

describe('POST /calendars/add-account', () => {
  it('links a second provider into the same Cronofy account with a link token and provider_name', async () => {
    const agent = h.agent();
    const first = await connectThrough(agent, { account: 'Google' });
    const [google] = await connectionsOf(h, first.headers['set-cookie']);
    const csrf = await csrfTokenFrom(agent, '/calendars');

    const start = await agent.post('/calendars/add-account').type('form').send({ _csrf: csrf, provider_name: 'exchange' }).expect(302);
    const authorize = new URL(start.headers.location as string);
    expect(authorize.origin).toBe(h.emulator.url);
    expect(authorize.searchParams.get('provider_name')).toBe('exchange');
    const linkToken = authorize.searchParams.get('link_token');
    expect(linkToken).toBeTruthy();
    expect(h.emulator.control.requests().filter((r) => r.path === '/v1/link_tokens')).toHaveLength(1);

    const back = await consent(authorize.toString(), { account: 'Microsoft' });
    const second = await agent.get(pathOf(back)).expect(302);
    const [linked] = await connectionsOf(h, second.headers['set-cookie']);
    expect(linked!.sub).toBe(google!.sub);
    expect(linked!.linking_profile).toMatchObject({ provider_name: 'exchange', profile_name: 'morgan.lee@contoso.example' });

    const page = parse((await agent.get('/calendars').expect(200)).text);
    const accounts = page.querySelectorAll('#profile-health li').map((li) => li.text.replace(/\s+/g, ' ').trim());
    expect(accounts).toEqual([expect.stringContaining('avery.quinn@northwind.example Google Connected'), expect.stringContaining('morgan.lee@contoso.example Microsoft 365 / Exchange Connected')]);
    expect(page.querySelectorAll('#calendar-list h2').map((h2) => h2.text)).toEqual([expect.stringContaining('avery.quinn'), expect.stringContaining('morgan.lee')]);
  });

  it('declined while adding an account: the page leads back to the calendars (for a new link token), not to a fresh connection; a first connection declined offers to try again', async () => {
    const agent = h.agent();
    await connectThrough(agent, { account: 'Google' });
    const csrf = await csrfTokenFrom(agent, '/calendars');
    const start = await agent.post('/calendars/add-account').type('form').send({ _csrf: csrf, provider_name: 'exchange' }).expect(302);
    const adding = parse((await agent.get(pathOf(await consent(start.headers.location as string, { decision: 'Deny' }))).expect(200)).text);
    expect(adding.querySelector('a.button')?.getAttribute('href')).toBe('/calendars');

    // A plain connect declined, by a first-time visitor and by one already connected (the home
    // page's "Connect another account"), offers to try that again.
    for (const browser of [h.agent(), agent]) {
      const begin = await browser.get('/connect/individual').expect(302);
      const declined = parse((await browser.get(pathOf(await consent(begin.headers.location as string, { decision: 'Deny' }))).expect(200)).text);
      expect([declined.querySelector('a.button')?.getAttribute('href'), declined.querySelector('a.button')?.text]).toEqual(['/connect/individual', 'Try again']);
    }
  });

  it('refuses an unknown provider_name with a clear page and asks Cronofy for nothing', async () => {
    const agent = h.agent();
    await connectThrough(agent, { account: 'Google' });
    const csrf = await csrfTokenFrom(agent, '/calendars');
    h.emulator.control.clearRequests();
    const res = await agent.post('/calendars/add-account').type('form').send({ _csrf: csrf, provider_name: 'evil.example' }).expect(400);
    expect(res.text).toContain('Unknown calendar provider');
    expect(h.emulator.control.requests().filter((r) => r.path.startsWith('/v1/'))).toEqual([]);
  });

  it('needs the CSRF token', async () => {
    const agent = h.agent();
    await connectThrough(agent, { account: 'Google' });
    await agent.post('/calendars/add-account').type('form').send({ provider_name: 'google' }).expect(403);
  });
});

describe('GET /connect/individual with provider buttons', () => {
  it('passes provider_name and avoid_linking=true to the authorize page, and ignores values not on the list', async () => {
    const agent = h.agent();
    const picked = new URL((await agent.get('/connect/individual?provider_name=google&avoid_linking=true').expect(302)).headers.location as string);
    expect(picked.searchParams.get('provider_name')).toBe('google');
    expect(picked.searchParams.get('avoid_linking')).toBe('true');
    const odd = new URL((await agent.get('/connect/individual?provider_name=javascript:x&avoid_linking=yes').expect(302)).headers.location as string);
    expect(odd.searchParams.has('provider_name')).toBe(false);
    expect(odd.searchParams.has('avoid_linking')).toBe(false);
  });
});

describe('profileHealth', () => {
  const profile = { provider_name: 'google', profile_id: 'pro_1', profile_name: 'a@b.example', profile_connected: false };
  it('links a disconnected profile to its relink URL only on the Cronofy app host', () => {
    expect(profileHealth([{ ...profile, profile_relink_url: 'https://app.cronofy.com/relink/x' }], 'https://app.cronofy.com')[0]!.relinkUrl).toBe('https://app.cronofy.com/relink/x');
    expect(profileHealth([{ ...profile, profile_relink_url: 'https://evil.example/relink' }], 'https://app.cronofy.com')[0]!.relinkUrl).toBeUndefined();
    expect(profileHealth([{ ...profile, profile_relink_url: 'javascript:alert(1)' }], 'https://app.cronofy.com')[0]!.relinkUrl).toBeUndefined();
    expect(profileHealth([{ ...profile, profile_connected: true, profile_relink_url: 'https://app.cronofy.com/x' }], 'https://app.cronofy.com')[0]).toMatchObject({ connected: true, relinkUrl: undefined });
  });
});

describe('GET / provider buttons', () => {
  it('offer each provider and avoid_linking as a plain GET form to /connect/individual', async () => {
    const page = parse((await h.agent().get('/').expect(200)).text);
    const form = page.querySelector('form.providers')!;
    expect(form.getAttribute('method')).toBe('get');
    expect(form.getAttribute('action')).toBe('/connect/individual');
    expect(form.querySelectorAll('button[name="provider_name"]').map((b) => b.getAttribute('value'))).toEqual(['google', 'exchange', 'apple', 'live_connect']);
    expect(form.querySelector('input[name="avoid_linking"]')?.getAttribute('value')).toBe('true');
  });
});
