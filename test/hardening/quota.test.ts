// Issue 14: fair use of Cronofy's rate limit, which is per application and shared by every user.
// - one session hammering a page stays within its own limit, and the emulator sees a bounded
//   number of calls;
// - a 429 holds every instance's calls until Retry-After has passed (capped), instead of each
//   request retrying; meanwhile another session still sees its (cached) calendars, with their age;
// - the Retry-After shown to people is parsed and bounded;
// - a hung Cronofy costs one page one deadline, retries included.
import { parse } from 'node-html-parser';
import request from 'supertest';
import { type Harness, connectThrough, connectedAgent, startHarness } from '../support/harness';
import { connectEnterprise } from '../enterprise/support';

let h: Harness;
let clock = Date.now();
beforeAll(async () => {
  h = await startHarness({
    now: () => clock,
    env: { CRONOFY_CACHE_SECONDS: '30' },
    rateLimits: { connectPerMinute: 1000, postPerMinute: 1000, cronofyPagesPerMinute: 20, prefix: `test-rl:quota:${Math.random().toString(36).slice(2)}:` },
  });
});
afterAll(() => h.close());
beforeEach(async () => {
  clock = Date.now();
  h.emulator.control.reset();
  await h.clearQuotaHold();
});

const calendarCalls = () => h.emulator.control.requests().filter((r) => r.path === '/v1/calendars');

const connected = () => connectedAgent(h);

describe('pages that call Cronofy', () => {
  it('M10: one session hammering /calendars stays within its limit; the emulator sees one call per cache period', async () => {
    const agent = await connected();
    const other = await connected();
    h.emulator.control.clearRequests();
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await agent.get('/calendars')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    expect(calendarCalls()).toHaveLength(1);
    await other.get('/calendars').expect(200); // another session has its own budget
  });

  it('M10: a session holding only an Enterprise Connect service account is limited on /enterprise, which asks Cronofy on every load', async () => {
    const agent = h.agent();
    expect((await connectEnterprise(agent)).status).toBe(302);
    h.emulator.control.clearRequests();
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await agent.get('/enterprise')).status);
    expect(statuses).toEqual([...Array<number>(20).fill(200), ...Array<number>(5).fill(429)]);
    expect(h.emulator.control.requests().filter((r) => r.path === '/v1/userinfo')).toHaveLength(20);
  });

  it('M10: bounds many sessions from one address too: ten times the per-session limit per IP', async () => {
    const small = await startHarness({
      rateLimits: { connectPerMinute: 1000, postPerMinute: 1000, cronofyPagesPerMinute: 1, prefix: `test-rl:quota-ip:${Math.random().toString(36).slice(2)}:` },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const agent = small.agent();
        expect((await connectThrough(agent, { separateAccount: true })).status).toBe(302);
        statuses.push((await agent.get('/calendars')).status);
      }
      expect(statuses).toEqual([...Array<number>(10).fill(200), 429]);
    } finally {
      await small.close();
    }
  });

  it('shows how old a cached answer is, and asks Cronofy again once it is older than CRONOFY_CACHE_SECONDS', async () => {
    const agent = await connected();
    h.emulator.control.clearRequests();
    expect(parse((await agent.get('/calendars').expect(200)).text).querySelector('.fetched')?.text).toContain('just now');
    clock += 12_000;
    const again = await agent.get('/calendars').expect(200);
    expect(parse(again.text).querySelector('.fetched')?.text).toContain('12 seconds ago');
    expect(calendarCalls()).toHaveLength(1);
    clock += 30_000; // past CRONOFY_CACHE_SECONDS: asked again
    expect(parse((await agent.get('/calendars').expect(200)).text).querySelector('.fetched')?.text).toContain('just now');
    expect(calendarCalls()).toHaveLength(2);
  });

  it('M10: a 429 holds every instance until Retry-After; another session still gets its cached calendars; no retry storm', async () => {
    const cachedSession = await connected();
    await cachedSession.get('/calendars').expect(200); // cached before Cronofy starts refusing
    const hammering = await connected();
    const second = request.agent(h.secondInstance());
    expect((await connectThrough(second)).status).toBe(302);
    h.emulator.control.clearRequests();

    h.emulator.control.failNext('/v1/calendars', { status: 429, headers: { 'Retry-After': '30' }, times: 1000 });
    const first = await hammering.get('/calendars').expect(429);
    expect(first.headers['retry-after']).toBe('30');
    for (let i = 0; i < 10; i++) await hammering.get('/calendars').expect(429);
    const elsewhere = await second.get('/calendars').expect(429); // another instance, same hold
    expect(Number(elsewhere.headers['retry-after'])).toBeLessThanOrEqual(30);
    const cached = await cachedSession.get('/calendars').expect(200);
    expect(cached.text).toContain('Fetched from Cronofy');
    expect(calendarCalls()).toHaveLength(1); // one 429, then nobody asked again

    clock += 31_000; // the hold has passed
    h.emulator.control.reset();
    await h.clearQuotaHold(); // reset forgot the grants: connect again, then ask
    const after = await connected();
    await after.get('/calendars').expect(200);
  });

  it.each([
    ['99999999999', '60'],
    ['Wed, 01 Jan 2100 00:00:00 GMT', '60'],
    ['Mon, 31 Feb 2100 00:00:00 GMT', '5'], // no such date: unreadable, not 3 March
    ['soon', '5'],
    ['-3', '5'],
  ])('shows people a parsed, bounded Retry-After (Cronofy sent %s)', async (sent, shown) => {
    const agent = await connected();
    h.emulator.control.failNext('/v1/calendars', { status: 429, headers: { 'Retry-After': sent }, times: 3 });
    const res = await agent.get('/calendars').expect(429);
    expect(res.headers['retry-after']).toBe(shown);
    expect(res.text).toContain('Too many requests to Cronofy');
  });
});

describe('a hung Cronofy', () => {
  // Its own app with a short page deadline (the harness's is long, for busy machines).
  let hung: Harness;
  beforeAll(async () => {
    hung = await startHarness({ env: { CRONOFY_TIMEOUT_MS: '3000' } });
  });
  afterAll(() => hung.close());

  it('M11: gets one page answer within the deadline, with no retry past it', async () => {
    const agent = hung.agent();
    expect((await connectThrough(agent)).status).toBe(302);
    hung.emulator.control.clearRequests();
    hung.emulator.control.hold('/v1/calendars'); // never released: Cronofy does not answer
    const res = await agent.get('/calendars').expect(503);
    expect(res.text).toContain('Cronofy is not answering');
    // The first attempt used the page's whole budget.
    expect(hung.emulator.control.requests().filter((r) => r.path === '/v1/calendars')).toHaveLength(1);
  });
});

describe('the read cache', () => {
  it('is invalidated by a permissions request, so the granted level shows at once', async () => {
    const agent = h.agent();
    await connectThrough(agent, { account: 'Enterprise' });
    const page = await agent.get('/permissions').expect(200);
    const id = parse(page.text).querySelector('input[name="calendar_id"]')!.getAttribute('value')!;
    const csrf = parse(page.text).querySelector('input[name="_csrf"]')!.getAttribute('value')!;
    await agent.post('/permissions').type('form').send({ _csrf: csrf, calendar_id: id }).expect(200);
    const calendars = await agent.get('/calendars').expect(200);
    const row = parse(calendars.text).querySelectorAll('tr').find((tr) => tr.querySelector('.level.unrestricted'));
    expect(row).toBeDefined();
  });

  it('is invalidated by a disconnect: connecting again shows fresh answers', async () => {
    const agent = await connected();
    await agent.get('/calendars').expect(200);
    const home = await agent.get('/').expect(200);
    const csrf = parse(home.text).querySelector('input[name="_csrf"]')!.getAttribute('value')!;
    await agent.post('/disconnect').type('form').send({ _csrf: csrf, connection: 'individual' }).expect(302);
    await agent.get('/calendars').expect(302);
    h.emulator.control.clearRequests();
    expect((await connectThrough(agent, { separateAccount: true })).status).toBe(302);
    await agent.get('/calendars').expect(200);
    expect(calendarCalls()).toHaveLength(1);
  });
});
