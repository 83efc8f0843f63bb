import type { Response } from 'supertest';
import { INSPECTOR_PREFIX } from '../../src/inspector/inspector';
import { type Harness, consent, pathOf, startHarness } from '../support/harness';
import { sessionCookie, sessionData } from '../support/stored';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/**
 * A real 500: the session's inspector timeline in Redis holds an entry that is not JSON (a record
 * corrupted, or written by something else), which GET /inspector cannot read.
 */
async function serverError(): Promise<Response> {
  const agent = h.agent();
  const start = await agent.get('/connect/individual').expect(302);
  const inspectorId = (await sessionData(h.redis, sessionCookie(start)))?.inspectorId;
  expect(inspectorId).toBeDefined();
  await h.redis.lpush(INSPECTOR_PREFIX + inspectorId, 'not json');
  await h.redis.pexpire(INSPECTOR_PREFIX + inspectorId, 60_000);
  const res = await agent.get('/inspector').expect(500);
  expect(res.text).toContain('Something went wrong');
  return res;
}

describe('security headers', () => {
  it.each<[string, () => Promise<Response>, string]>([
    ['a page (/)', () => h.agent().get('/').expect(200), 'same-origin'],
    ['a 404', () => h.agent().get('/nope').expect(404), 'same-origin'],
    ['a 400 (a callback with a bad state)', () => h.agent().get('/oauth/callback?state=x').expect(400), 'no-referrer'],
    ['a 500', serverError, 'same-origin'],
  ])('G1, G2: sends a strict CSP and friends, and no HSTS over http, on %s', async (_name, answer, referrerPolicy) => {
    const res = await answer();
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("script-src-attr 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`form-action 'self' ${h.emulator.url}`);
    expect(csp).not.toContain('unsafe');
    expect(csp).not.toContain('upgrade-insecure-requests');
    // same-origin: Cronofy never sees our URLs, and our own form POSTs carry the real Origin.
    expect(res.headers['referrer-policy']).toBe(referrerPolicy);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('F4: the callbacks answer under no-referrer, error pages included; the page after them under same-origin', async () => {
    const agent = h.agent();
    const start = await agent.get('/connect/individual').expect(302);
    const back = await consent(start.headers.location as string);
    const code = back.searchParams.get('code')!;
    // A page rendered at a URL that carries a code: nothing it loads or links to gets a Referer.
    const refused = await agent.get(`/oauth/callback?code=${code}&state=not-this-sessions-state`).expect(400);
    expect(refused.headers['referrer-policy']).toBe('no-referrer');
    const landed = await agent.get(pathOf(back)).expect(302).expect('Location', '/calendars');
    expect(landed.headers['referrer-policy']).toBe('no-referrer');
    const calendars = await agent.get('/calendars').expect(200);
    expect(calendars.headers['referrer-policy']).toBe('same-origin');
    const permissionsReturn = await agent.get('/permissions/callback').expect(400);
    expect(permissionsReturn.headers['referrer-policy']).toBe('no-referrer');
  });

  it('lets the stylesheet be cached', async () => {
    const res = await h.agent().get('/styles.css').expect(200);
    expect(res.headers['cache-control']).toMatch(/max-age=3600/);
  });
});

describe('over https', () => {
  let secure: Harness;
  beforeAll(async () => {
    secure = await startHarness({ env: { APP_BASE_URL: 'https://app.test', TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => secure.close());

  it('G2, E3: adds HSTS and upgrade-insecure-requests, and a Secure __Host- cookie', async () => {
    const res = await secure.agent().get('/connect/individual').set('X-Forwarded-Proto', 'https').expect(302);
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(res.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(String(res.headers['set-cookie'])).toMatch(/^__Host-cc\.sid=.*; Path=\/; HttpOnly; Secure; SameSite=Lax/);
  });
});
