import { parse } from 'node-html-parser';
import { type Harness, connectThrough, startHarness } from '../support/harness';

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

const memberCalls = () => h.emulator.control.requests().filter((r) => r.path.startsWith('/v1/organizational_unit_members'));
const impersonated = () => h.emulator.control.requests().filter((r) => r.headers['cronofy-impersonate'] !== undefined);

async function connectedOrganization() {
  const agent = h.agent();
  const res = await connectThrough(agent, { kind: 'organization' });
  expect(res.status).toBe(302);
  expect(res.headers.location).toBe('/organization');
  h.emulator.control.clearRequests();
  return agent;
}

function memberLinks(html: string) {
  return parse(html)
    .querySelectorAll('a[href^="/organization/members/"]')
    .map((a) => ({ href: a.getAttribute('href')!, email: a.text.trim() }));
}

describe('GET /connect/organization', () => {
  it('asks for the organizational_unit_scheduler scope only', async () => {
    const res = await h.agent().get('/connect/organization').expect(302);
    expect(new URL(res.headers.location as string).searchParams.get('scope')).toBe('organizational_unit_scheduler');
  });

  it('keeps an organization connection beside an individual one', async () => {
    const agent = h.agent();
    await connectThrough(agent);
    await connectThrough(agent, { kind: 'organization' });
    const home = await agent.get('/').expect(200);
    expect(home.text).toContain('Your calendar connection');
    expect(home.text).toContain('Your organization connection');
  });
});

describe('GET /organization', () => {
  it('lists every member of the one documented page, with no note about more', async () => {
    const agent = await connectedOrganization();
    const page = await agent.get('/organization').expect(200);
    const links = memberLinks(page.text);
    expect(links).toHaveLength(25);
    expect(memberCalls()).toHaveLength(1);
    expect(new Set(links.map((l) => l.href)).size).toBe(links.length);
    expect(page.text).not.toContain('Cronofy has more members than these');
  });

  it('offers to disconnect the organization there, which revokes its grant and leaves the calendar connection', async () => {
    const agent = h.agent();
    await connectThrough(agent);
    await connectThrough(agent, { kind: 'organization' });
    const page = parse((await agent.get('/organization').expect(200)).text);
    const form = page.querySelectorAll('form[action="/disconnect"]').find((f) => f.querySelector('input[name="connection"]')?.getAttribute('value') === 'organization')!;
    const csrf = form.querySelector('input[name="_csrf"]')!.getAttribute('value')!;
    h.emulator.control.clearRequests();
    await agent.post('/disconnect').type('form').send({ _csrf: csrf, connection: 'organization' }).expect(302);
    expect(h.emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke')).toHaveLength(1);
    const home = (await agent.get('/').expect(200)).text;
    expect(home).toContain('Disconnected your organization connection.');
    expect(home).not.toContain('Your organization connection');
    expect(home).toContain('Your calendar connection');
  });

  it('follows pages.next_page when Cronofy sends one', async () => {
    const agent = await connectedOrganization();
    const extra = { sub: 'acc_0000000000000000000000aa', email: 'first-page@evenitron.com', roles: ['member'] };
    h.emulator.control.failNext('/v1/organizational_unit_members', {
      status: 200,
      body: { organizational_unit_members: [extra], pages: { current: 1, total: 2, next_page: `${h.emulator.url}/v1/organizational_unit_members` } },
    });
    const page = await agent.get('/organization').expect(200);
    const links = memberLinks(page.text);
    expect(links).toHaveLength(26);
    expect(links[0]?.email).toBe('first-page@evenitron.com');
    expect(memberCalls()).toHaveLength(2);
    expect(page.text).not.toContain('Cronofy has more members than these');
  });

  it('refreshes an expired organization token on the way', async () => {
    const agent = await connectedOrganization();
    clock += 2 * 60 * 60 * 1000;
    await agent.get('/organization').expect(200);
    const refreshes = h.emulator.control.requests().filter((r) => (r.body as { grant_type?: string } | undefined)?.grant_type === 'refresh_token');
    expect(refreshes).toHaveLength(1);
  });
});

describe('GET /organization/members/:sub', () => {
  it('shows the member, fetched with Cronofy-Impersonate set to their sub', async () => {
    const agent = await connectedOrganization();
    const [first] = memberLinks((await agent.get('/organization').expect(200)).text);
    const sub = decodeURIComponent(first!.href.split('/').pop()!);
    h.emulator.control.clearRequests();
    const page = await agent.get(first!.href).expect(200);
    expect(page.text).toContain(sub);
    const paths = impersonated().map((r) => [r.path, r.headers['cronofy-impersonate']]);
    expect(paths).toEqual(expect.arrayContaining([['/v1/userinfo', sub], ['/v1/calendars', sub]]));
    expect(impersonated().every((r) => r.status === 200)).toBe(true);
  });

  it('rejects a malformed sub before any header is sent', async () => {
    const agent = await connectedOrganization();
    const res = await agent.get('/organization/members/acc_1%0D%0AX-Injected:%201').expect(400);
    expect(res.text).toContain('That is not a member id');
    expect(impersonated()).toHaveLength(0);
  });

  it('answers 404 for a sub outside the unit, and impersonates nobody', async () => {
    const agent = await connectedOrganization();
    const res = await agent.get('/organization/members/acc_000000000000000000000000').expect(404);
    expect(res.text).toContain('Not a member of this organization');
    expect(impersonated()).toHaveLength(0);
  });

  it('shows a clear page when Cronofy refuses the impersonation', async () => {
    const agent = await connectedOrganization();
    const [first] = memberLinks((await agent.get('/organization').expect(200)).text);
    h.emulator.control.failNext('/v1/userinfo', { status: 403 });
    const res = await agent.get(first!.href).expect(403);
    expect(res.text).toContain('Cronofy refused this request');
  });
});

describe('GET /organization/find', () => {
  it('goes to the member found by email, whatever its case', async () => {
    const agent = await connectedOrganization();
    const [first] = memberLinks((await agent.get('/organization').expect(200)).text);
    const res = await agent.get(`/organization/find?email=${encodeURIComponent(first!.email.toUpperCase())}`).expect(302);
    expect(res.headers.location).toBe(first!.href);
  });

  it('says so when nobody has that email', async () => {
    const agent = await connectedOrganization();
    const res = await agent.get('/organization/find?email=nobody%40nowhere.example').expect(404);
    expect(res.text).toContain('No member of this organization has that email address.');
  });

  it('asks for a real email address when given something else', async () => {
    const agent = await connectedOrganization();
    const res = await agent.get('/organization/find?email=not-an-email').expect(400);
    expect(res.text).toContain('Type a full email address');
  });
});

describe('POST /disconnect', () => {
  it('revokes the organization connection too', async () => {
    const agent = h.agent();
    await connectThrough(agent);
    await connectThrough(agent, { kind: 'organization' });
    const csrf = parse((await agent.get('/').expect(200)).text).querySelector('input[name="_csrf"]')!.getAttribute('value')!;
    h.emulator.control.clearRequests();
    await agent.post('/disconnect').type('form').send({ _csrf: csrf }).expect(302);
    expect(h.emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke')).toHaveLength(2);
    await agent.get('/organization').expect(302);
  });
});

describe('a dead organization connection', () => {
  it('asks to connect the organization again, not a calendar', async () => {
    const agent = await connectedOrganization();
    const org = h.emulator.control.requests();
    expect(org).toHaveLength(0);
    clock += 2 * 60 * 60 * 1000;
    h.emulator.control.failNext('/oauth/token', { status: 400, body: { error: 'invalid_grant' } });
    const res = await agent.get('/organization').expect(401);
    expect(res.text).toContain('Please connect your organization again');
    expect(res.text).toContain('href="/connect/organization"');
  });

  it('I6: a next_page that is not a URL gets the unexpected-answer page, not a crash', async () => {
    const agent = await connectedOrganization();
    h.emulator.control.failNext('/v1/organizational_unit_members', { status: 200, body: { organizational_unit_members: [], pages: { current: 1, total: 2, next_page: null } } });
    const res = await agent.get('/organization').expect(502);
    expect(res.text).toContain('Cronofy gave an unexpected answer');
  });
});


describe('GET /organization when Cronofy reports more pages than it sends', () => {
  let paged: Harness;
  beforeAll(async () => {
    paged = await startHarness({ emulator: { memberPageSize: 10 } });
  });
  afterAll(() => paged.close());

  it('shows the members it has and says that more exist, asking for no invented page', async () => {
    const agent = paged.agent();
    await connectThrough(agent, { kind: 'organization' });
    paged.emulator.control.clearRequests();
    const page = await agent.get('/organization').expect(200);
    expect(memberLinks(page.text)).toHaveLength(10);
    const note = parse(page.text).querySelectorAll('[role="status"]').map((e) => e.text).join('\n');
    expect(note).toContain('Cronofy has more members than these: it reported 2 more pages');
    const calls = paged.emulator.control.requests().filter((r) => r.path === '/v1/organizational_unit_members');
    expect(calls.map((r) => r.query)).toEqual([{}]);
  });

  it('says a member not found may be on a page it did not send', async () => {
    const agent = paged.agent();
    await connectThrough(agent, { kind: 'organization' });
    const res = await agent.get('/organization/find?email=wilson@evenitron.com').expect(404);
    expect(res.text).toContain('they may be on a page of members Cronofy did not send');
  });
});
