import { parse } from 'node-html-parser';
import { type Harness, connectThrough, connectionsOf, consent, pathOf, startHarness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('GET /inspector', () => {
  it('shows each step of Individual Connect with every secret masked', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const state = new URL(start.headers.location as string).searchParams.get('state')!;
    const back = await consent(start.headers.location as string);
    const code = back.searchParams.get('code')!;
    const callback = await agent.get(pathOf(back)).expect(302);
    await agent.get('/calendars').expect(200);

    const page = await agent.get('/inspector').expect(200);
    const steps = parse(page.text).querySelectorAll('ol.timeline strong').map((s) => s.text);
    expect(steps).toEqual([
      'Browser sent to the authorize page',
      'Callback received; state matches this session',
      'Token request: POST /oauth/token',
      'HTTP call to Cronofy',
      'Token response stored server-side; session id regenerated',
      'HTTP call to Cronofy', // the calendars page: /v1/calendars and /v1/profiles
      'HTTP call to Cronofy',
    ]);
    expect(page.text).toContain(`${state.slice(0, 4)}… (${state.length} chars)`);
    expect(page.text).toContain('/v1/calendars');
    expect(page.text).toContain('/v1/profiles');

    const secrets = [state, code, h.config.cronofy.clientSecret];
    const connections = await connectionsOf(h, callback.headers['set-cookie']);
    expect(connections).toHaveLength(1);
    for (const c of connections) secrets.push(c.access_token, c.refresh_token);
    for (const secret of secrets) expect(page.text).not.toContain(secret);
  });

  it('is empty, with a way to start, for a new visitor', async () => {
    const page = await h.agent().get('/inspector').expect(200);
    expect(page.text).toContain('Nothing yet');
  });

  it('keeps each session to its own timeline', async () => {
    const a = h.agent();
    await connectThrough(a);
    const b = h.agent();
    await b.get('/connect/individual').expect(302);
    const page = await b.get('/inspector').expect(200);
    expect(parse(page.text).querySelectorAll('ol.timeline strong').map((s) => s.text)).toEqual([
      'Browser sent to the authorize page',
    ]);
  });
});
