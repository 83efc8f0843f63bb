// Checklist case D1 (docs/security-checklist.md) for every POST route the app has, read from the
// app's own router, so a form added later is covered without anyone listing it here. The per-form
// tests (checklist-web.test.ts, lifecycle.test.ts, permissions.test.ts) say what each refusal keeps.
import type { Express } from 'express';
import { type Harness, connectThrough, consent, csrfTokenFrom, pathOf, startHarness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** Cronofy's server-to-server POSTs: authenticated by their signature instead of a form token (M14). */
const SIGNED = ['/push/:key', '/enterprise/callback/:key'];

interface Layer {
  route?: { path: string; methods: Record<string, boolean | undefined> };
  handle?: { stack?: Layer[] };
}

/** The path of every POST route, in the app's router and the routers mounted in it. */
function postRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route?.methods.post) found.push(layer.route.path);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}

describe('D. CSRF on every form', () => {
  it('D1: refuses a POST without the CSRF token on every route but the signed callbacks, changing nothing', async () => {
    const routes = postRoutes(h.app);
    expect(routes).toEqual(expect.arrayContaining(SIGNED));
    const forms = routes.filter((path) => !SIGNED.includes(path));
    expect(forms).toEqual(
      expect.arrayContaining(['/disconnect', '/logout', '/permissions', '/calendars/add-account', '/enterprise/authorizations', '/enterprise/disconnect']),
    );

    // A browser holding a calendar and a service account, so each form has something it could change.
    const agent = h.agent();
    expect((await connectThrough(agent)).status).toBe(302);
    const enterprise = await agent.get('/connect/enterprise').expect(302);
    await agent.get(pathOf(await consent(enterprise.headers.location as string))).expect(302).expect('Location', '/enterprise');
    h.emulator.control.clearRequests();

    for (const path of forms) {
      const res = await agent
        .post(path.replace(':id', 'person_1'))
        .type('form')
        .send({ connection: 'individual', calendar_id: 'cal_1', email: 'sam.okafor@fabrikam.example', provider_name: 'google' });
      expect([path, res.status]).toEqual([path, 403]);
      expect(res.text).toContain('This form could not be accepted');
    }
    expect(h.emulator.control.requests()).toEqual([]);
    await agent.get('/calendars').expect(200);
    expect((await agent.get('/enterprise').expect(200)).text).toContain('The service account (');

    // Each path read from the router is one the app really serves: with the token, no 403 and not
    // the app's "Page not found" (a route's own 404, e.g. no such person, is fine). The forms that
    // end something go last, so each still has its session.
    const csrf = await csrfTokenFrom(agent, '/');
    const ending = ['/enterprise/disconnect', '/disconnect', '/logout'];
    for (const path of [...forms.filter((p) => !ending.includes(p)), ...ending]) {
      const res = await agent
        .post(path.replace(':id', 'person_1'))
        .type('form')
        .send({ _csrf: csrf, connection: 'individual', calendar_id: 'cal_1', email: 'sam.okafor@fabrikam.example', provider_name: 'google' });
      const unserved = res.status === 403 || (res.status === 404 && res.text.includes('Page not found')); // the app's own 404
      expect([path, unserved]).toEqual([path, false]);
    }
  });
});
