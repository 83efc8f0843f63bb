// Issue 14: personal data. Emails (find-by-email, accounts, members) and member subs never reach the
// logs; the flow inspector's timeline (which holds the account's email) is deleted on logout and
// expires with the session; the inspector is opt-in in production.
import { parse } from 'node-html-parser';
import request from 'supertest';
import { INSPECTOR_PREFIX } from '../../src/inspector/inspector';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, SESSION_PREFIX } from '../../src/session';
import { type Harness, connectThrough, csrfTokenFrom, startHarness } from '../support/harness';
import { sessionCookie, sessionIdOf } from '../support/stored';

let h: Harness;
let clock = Date.now();
beforeAll(async () => {
  h = await startHarness({ now: () => clock });
});
beforeEach(() => {
  clock = Date.now();
});
afterAll(() => h.close());

const sidOf = (setCookie: unknown): string => sessionIdOf(sessionCookie(setCookie as string[] | undefined));

async function inspectorKeyOf(setCookie: unknown): Promise<string> {
  const session = JSON.parse((await h.redis.get(SESSION_PREFIX + sidOf(setCookie))) ?? '{}') as { inspectorId?: string };
  expect(session.inspectorId).toBeDefined();
  return INSPECTOR_PREFIX + session.inspectorId!;
}

describe('personal data in the logs', () => {
  it('a full run (accounts, members, find by email, member pages, errors) logs no email and no member sub', async () => {
    const person = h.agent();
    await connectThrough(person, { account: 'Microsoft' });
    const calendars = await person.get('/calendars').expect(200);
    await connectThrough(person, { kind: 'organization' });
    const page = await person.get('/organization').expect(200);
    const members = parse(page.text)
      .querySelectorAll('a[href^="/organization/members/"]')
      .map((a) => ({ href: a.getAttribute('href')!, email: a.text.trim() }));
    expect(members.length).toBeGreaterThan(5);
    const [first, second] = members;
    await person.get(`/organization/find?email=${encodeURIComponent(first!.email)}`).expect(302);
    await person.get(first!.href).expect(200);
    await person.get('/organization/find?email=nobody.here%40evenitron.com').expect(404);
    h.emulator.control.failNext('/v1/userinfo', { status: 500, times: 3 });
    await person.get(second!.href).expect(503); // an error page: logged at error level with its path
    await person.get('/organization/members/acc_notamember1').expect(404);

    const personal = new Set<string>(['nobody.here@evenitron.com', 'acc_notamember1']);
    for (const m of members) {
      personal.add(m.email);
      personal.add(decodeURIComponent(m.href.split('/').pop()!));
    }
    for (const email of calendars.text.match(/[\w.+-]+@[\w.-]+\.\w+/g) ?? []) personal.add(email);
    for (const r of h.emulator.control.requests()) {
      const impersonate = r.headers['cronofy-impersonate'];
      if (typeof impersonate === 'string') personal.add(impersonate);
    }
    expect(personal.size).toBeGreaterThan(20);

    const logs = h.logs.join('\n');
    expect(logs).toContain('/organization/members/[member]');
    for (const value of personal) expect({ value, found: logs.includes(value) }).toEqual({ value, found: false });
  });
});

describe('the flow inspector', () => {
  it("deletes the session's timeline on logout", async () => {
    const agent = h.agent();
    const callback = await connectThrough(agent);
    const key = await inspectorKeyOf(callback.headers['set-cookie']);
    expect(await h.redis.exists(key)).toBe(1);
    await agent.post('/logout').type('form').send({ _csrf: await csrfTokenFrom(agent, '/') }).expect(200);
    expect(await h.redis.exists(key)).toBe(0);
  });

  it('deletes the timeline when the session reaches its absolute lifetime', async () => {
    const agent = h.agent();
    const key = await inspectorKeyOf((await connectThrough(agent)).headers['set-cookie']);
    expect(await h.redis.exists(key)).toBe(1);
    clock += SESSION_ABSOLUTE_MS + 1000;
    await agent.get('/calendars').expect(302);
    expect(await h.redis.exists(key)).toBe(0);
  });

  it('keeps the timeline no longer than an idle session', async () => {
    const agent = h.agent();
    const key = await inspectorKeyOf((await connectThrough(agent)).headers['set-cookie']);
    expect(await h.redis.pttl(key)).toBeLessThanOrEqual(SESSION_IDLE_MS);
  });

  it('is off in production unless INSPECTOR=true: /inspector is a 404, nothing is recorded, no link', async () => {
    const prod = await startHarness({ env: { NODE_ENV: 'production', APP_BASE_URL: 'http://localhost' } });
    const opted = await startHarness({ env: { NODE_ENV: 'production', APP_BASE_URL: 'http://localhost', INSPECTOR: 'true' } });
    try {
      const agent = prod.agent();
      const callback = await connectThrough(agent);
      expect(callback.status).toBe(302);
      await agent.get('/inspector').expect(404);
      expect((await agent.get('/').expect(200)).text).not.toContain('href="/inspector"');
      const session = JSON.parse((await prod.redis.get(SESSION_PREFIX + sidOf(callback.headers['set-cookie']))) ?? '{}') as { inspectorId?: string };
      expect(await prod.redis.exists(INSPECTOR_PREFIX + session.inspectorId)).toBe(0);

      await request(opted.app).get('/inspector').expect(200);
    } finally {
      await prod.close();
      await opted.close();
    }
  });
});
