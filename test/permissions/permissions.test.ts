import { parse } from 'node-html-parser';
import { type Harness, connectThrough, csrfTokenFrom, pathOf, startHarness, submitForm } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
// Each test starts from the emulator's seeded state: a calendar's permission level is shared by
// every account that holds it, so one test's grant would otherwise change what the next one sees.
beforeEach(() => h.emulator.control.reset());

const permissionCalls = () => h.emulator.control.requests().filter((r) => r.path === '/v1/permissions');

async function connectedAs(account: string) {
  const agent = h.agent();
  await connectThrough(agent, { account });
  const page = await agent.get('/permissions').expect(200);
  const ids = parse(page.text)
    .querySelectorAll('input[name="calendar_id"]')
    .map((input) => input.getAttribute('value')!);
  return { agent, ids, csrf: await csrfTokenFrom(agent, '/permissions') };
}

function request(agent: ReturnType<Harness["agent"]>, csrf: string, ids: string[]) {
  return agent.post('/permissions').type('form').send(`_csrf=${encodeURIComponent(csrf)}&${ids.map((id) => `calendar_id=${encodeURIComponent(id)}`).join('&')}`);
}

describe('GET /permissions', () => {
  it('lists the calendars not yet unrestricted as checkboxes in a CSRF-protected form', async () => {
    const { agent, ids } = await connectedAs('Google');
    expect(ids.length).toBeGreaterThan(1);
    const page = await agent.get('/permissions').expect(200);
    expect(page.text).toContain('name="_csrf"');
    expect(page.text).toContain('unrestricted access');
  });

  it('sends a visitor without a connection home', async () => {
    await h.agent().get('/permissions').expect(302).expect('Location', '/?notice=connect-for-permissions');
  });
});

describe('POST /permissions', () => {
  it('asks Cronofy for exactly the chosen calendars and redirects to the approval page; approving grants them', async () => {
    const { agent, ids, csrf } = await connectedAs('Google');
    const chosen = ids.slice(0, 2);
    const res = await request(agent, csrf, chosen).expect(302);
    const approval = new URL(res.headers.location as string);
    expect(approval.origin).toBe(h.emulator.url);
    expect(permissionCalls()[0]!.body).toEqual({
      permissions: chosen.map((calendar_id) => ({ calendar_id, permission_level: 'unrestricted' })),
      redirect_uri: 'http://app.test/permissions/callback',
    });

    const page = await fetch(approval);
    const back = await submitForm(approval.toString(), await page.text(), 'Allow');
    expect(back.origin + back.pathname).toBe('http://app.test/permissions/callback');
    const result = await agent.get(pathOf(back)).expect(200);
    expect(result.text).toContain('Unrestricted access granted');
    const remaining = parse((await agent.get('/permissions').expect(200)).text)
      .querySelectorAll('input[name="calendar_id"]')
      .map((i) => i.getAttribute('value'));
    for (const id of chosen) expect(remaining).not.toContain(id);
  });

  it('shows a declined page when the person denies, and nothing is granted', async () => {
    const { agent, ids, csrf } = await connectedAs('Google');
    const res = await request(agent, csrf, [ids[0]!]).expect(302);
    const approval = new URL(res.headers.location as string);
    const back = await submitForm(approval.toString(), await (await fetch(approval)).text(), 'Deny');
    expect(back.searchParams.get('error')).toBe('access_denied');
    const page = await agent.get(pathOf(back)).expect(200);
    expect(page.text).toContain('You declined the extended permissions');
    expect(parse((await agent.get('/permissions')).text).querySelectorAll('input[name="calendar_id"]').map((i) => i.getAttribute('value'))).toContain(ids[0]);
  });

  it('K2: shows the grant at once for an Enterprise-Connect-linked account, with no approval page', async () => {
    const { agent, ids, csrf } = await connectedAs('Enterprise');
    const res = await request(agent, csrf, [ids[0]!]).expect(200);
    expect(res.text).toContain('Enterprise Connect');
    expect(res.text).toContain('Unrestricted access granted');
  });

  it('refuses calendar ids of another account without calling Cronofy', async () => {
    const other = await connectedAs('Microsoft');
    const { agent, csrf } = await connectedAs('Google');
    h.emulator.control.clearRequests();
    const res = await request(agent, csrf, [other.ids[0]!]).expect(400);
    expect(res.text).toContain('Those calendars are not yours');
    expect(permissionCalls()).toHaveLength(0);
  });

  it('D1, K4: refuses a form without the CSRF token', async () => {
    const { agent, ids } = await connectedAs('Google');
    await agent.post('/permissions').type('form').send({ calendar_id: ids[0] }).expect(403);
    expect(permissionCalls()).toHaveLength(0);
  });

  it('C3, K1: refuses to follow an approval URL on a foreign host', async () => {
    const { agent, ids, csrf } = await connectedAs('Google');
    h.emulator.control.overridePermissionsUrl('https://evil.example/permissions');
    const res = await request(agent, csrf, [ids[0]!]).expect(502);
    expect(res.headers.location).toBeUndefined();
    expect(res.text).toContain('does not trust');
  });
});

describe('GET /permissions/callback', () => {
  it('K3: answers 400 when no request is pending', async () => {
    const { agent } = await connectedAs('Google');
    const res = await agent.get('/permissions/callback').expect(400);
    expect(res.text).toContain('No permissions request is waiting');
  });

  it('K3: a forged return with no parameters does not use up the pending request: the real approval still completes', async () => {
    const { agent, ids, csrf } = await connectedAs('Google');
    const res = await request(agent, csrf, [ids[0]!]).expect(302);
    const approval = new URL(res.headers.location as string);
    const forged = await agent.get('/permissions/callback').expect(200); // a third party sent the person here first
    expect(forged.text).not.toContain('Unrestricted access granted');
    expect(forged.text).toContain('the request waits for up to 10 minutes');
    const back = await submitForm(approval.toString(), await (await fetch(approval)).text(), 'Allow');
    expect((await agent.get(pathOf(back)).expect(200)).text).toContain('Unrestricted access granted');
  });

  it('K3: accepts a return only once', async () => {
    const { agent, ids, csrf } = await connectedAs('Google');
    const res = await request(agent, csrf, [ids[0]!]).expect(302);
    const approval = new URL(res.headers.location as string);
    const back = await submitForm(approval.toString(), await (await fetch(approval)).text(), 'Allow');
    await agent.get(pathOf(back)).expect(200);
    await agent.get(pathOf(back)).expect(400);
  });
});
