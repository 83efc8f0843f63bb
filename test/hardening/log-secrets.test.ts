// F2 and issue 7's "secrets" requirement: every log line of a full run through every flow (success,
// declines, refresh, 401, Cronofy and Redis-free errors, disconnect, logout) is captured at debug
// level and searched for every token, code, state, client secret and session id that existed.
import { parse } from 'node-html-parser';
import { type Harness, connectThrough, consent, csrfTokenFrom, pathOf, startHarness, submitForm } from '../support/harness';

let h: Harness;
let clock = Date.now();
beforeAll(async () => {
  h = await startHarness({ now: () => clock });
});
afterAll(() => h.close());

const setCookies: string[] = [];
function remember<T extends { headers: Record<string, unknown> }>(res: T): T {
  setCookies.push(...([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []));
  return res;
}

async function permissionsRound(agent: ReturnType<Harness['agent']>, decision: 'Allow' | 'Deny' | 'none') {
  const page = remember(await agent.get('/permissions').expect(200));
  const id = parse(page.text).querySelector('input[name="calendar_id"]')?.getAttribute('value') ?? '';
  const csrf = await csrfTokenFrom(agent, '/permissions');
  const res = remember(await agent.post('/permissions').type('form').send({ _csrf: csrf, calendar_id: id }));
  if (decision === 'none') return;
  const approval = res.headers.location as string;
  const back = await submitForm(approval, await (await fetch(approval)).text(), decision);
  remember(await agent.get(pathOf(back)));
}

describe('secrets in the logs', () => {
  it('F2: a full run through every flow logs no token, code, state, client secret or session id', async () => {
    const person = h.agent();
    remember(await connectThrough(person, { account: 'Google' }));
    remember(await person.get('/calendars').expect(200));
    await permissionsRound(person, 'Allow');
    await permissionsRound(person, 'Deny');

    const declined = h.agent();
    const start = remember(await declined.get('/connect/individual'));
    remember(await declined.get(pathOf(await consent(start.headers.location as string, { decision: 'Deny' }))));

    const linked = h.agent();
    remember(await connectThrough(linked, { account: 'Enterprise' }));
    await permissionsRound(linked, 'none');

    remember(await connectThrough(person, { kind: 'organization' }));
    const members = remember(await person.get('/organization').expect(200));
    const member = parse(members.text).querySelector('a[href^="/organization/members/"]')?.getAttribute('href') ?? '';
    remember(await person.get(member).expect(200));
    remember(await person.get('/organization/find?email=nobody%40evenitron.com').expect(404));

    clock += 2 * 60 * 60 * 1000; // expired: refresh
    remember(await person.get('/calendars').expect(200));
    h.emulator.control.failNext('/v1/calendars', { status: 401 }); // refused: refresh and retry
    remember(await person.get('/calendars').expect(200));
    h.emulator.control.failNext('/v1/calendars', { status: 500, times: 3, body: { error: 'boom', access_token: 'not-logged' } });
    remember(await person.get('/calendars').expect(503));
    h.emulator.control.failNext('/oauth/token/revoke', { status: 500 });
    remember(await person.post('/disconnect').type('form').send({ _csrf: await csrfTokenFrom(person, '/'), connection: 'individual' }).expect(302));
    remember(await person.post('/disconnect').type('form').send({ _csrf: await csrfTokenFrom(person, '/') }).expect(302));
    remember(await linked.post('/logout').type('form').send({ _csrf: await csrfTokenFrom(linked, '/') }).expect(200));
    remember(await person.get('/oauth/callback?state=forged&code=stolen-code-value').expect(400));

    // Everything secret that crossed the wire, as the emulator saw it.
    const secrets = new Set<string>([h.config.cronofy.clientSecret, 'stolen-code-value']);
    for (const r of h.emulator.control.requests()) {
      const auth = r.headers.authorization;
      if (typeof auth === 'string' && auth.startsWith('Bearer ')) secrets.add(auth.slice(7));
      const body = (r.body ?? {}) as Record<string, unknown>;
      for (const key of ['code', 'refresh_token', 'token']) if (typeof body[key] === 'string') secrets.add(body[key]);
      if (r.path === '/oauth/authorize' && typeof r.query.state === 'string') secrets.add(r.query.state);
    }
    for (const cookie of setCookies) {
      const value = decodeURIComponent(cookie.split(';')[0]!.split('=')[1] ?? '');
      if (value.startsWith('s:')) secrets.add(value.slice(2).split('.')[0]!);
    }
    expect(secrets.size).toBeGreaterThan(20);

    const logs = h.logs.join('\n');
    expect(h.logs.length).toBeGreaterThan(50);
    for (const secret of secrets) expect({ secret, found: logs.includes(secret) }).toEqual({ secret, found: false });
    expect(logs).not.toContain('not-logged');
  });
});
