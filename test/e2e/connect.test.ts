// Individual Connect and the token lifecycle, in a real browser (Chromium) against the real app
// on a real port, real Redis and the bundled emulator.
import type { Page } from 'playwright-core';
import {
  browserSuite,
  answerConsent,
  connectIndividual,
  expectAbsent,
  expectText,
  expectVisible,
  recordNavigation,
  screenshot,
  submitAppForm,
  urlIs,
  urlStarts,
} from '../support/browser';

jest.setTimeout(60_000);

const suite = browserSuite();
const open = suite.open;

const tokenCalls = () => suite.stack.emulator.control.requests().filter((r) => r.method === 'POST' && r.path === '/oauth/token');
const grantOf = (body: unknown) => (body as { grant_type?: string } | undefined)?.grant_type;

/** The row of the calendars table whose header cell is `name`. */
const calendarRow = (page: Page, name: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });

describe('Individual Connect in a browser', () => {
  it('approve: home → consent (Google Workspace, Allow) → the calendars, with provider, data center and sandbox banner', async () => {
    const page = await open();
    await page.goto(`${suite.stack.baseUrl}/`);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Connect calendars through Cronofy' }));
    await page.getByRole('link', { name: 'Connect a calendar' }).click();

    await page.waitForURL(urlStarts(suite.stack.emulator.url, '/oauth/authorize?'));
    await expectVisible(page.getByRole('heading', { level: 1, name: /wants to connect to your calendar/ }));
    await screenshot(page, 'individual-consent');
    await answerConsent(page, suite.stack.emulator.url, { account: 'Google Workspace', decision: 'Allow' });

    await page.waitForURL(`${suite.stack.baseUrl}/calendars`);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Your calendars' }));
    // The flash names the linked profile.
    await expectText(page.locator('.flash.info'), 'Connected avery.quinn@northwind.example (google).');
    // The profile's card: its name and provider.
    const profile = page.getByRole('heading', { level: 2, name: /avery\.quinn@northwind\.example/ });
    await expectVisible(profile);
    await expectText(profile.locator('.provider'), /^Google$/);
    // The calendars, with their access.
    for (const name of ['Avery Quinn', 'Team offsites', 'Holidays in the United Kingdom']) await expectVisible(calendarRow(page, name));
    await expectText(calendarRow(page, 'Holidays in the United Kingdom'), 'Read-only');
    await expectText(calendarRow(page, 'Team offsites'), 'Read and write');
    await expectText(calendarRow(page, 'Avery Quinn'), 'Primary');
    // Data center and sandbox banner.
    await expectText(page.locator('nav .dc'), 'Data center: us (United States)');
    const banner = page.locator('.banner.sandbox');
    await expectText(banner, 'Sandbox mode.');
    await expectText(banner, suite.stack.emulator.url);
    await screenshot(page, 'individual-connect-approved');

    // One code exchange, for this app's redirect URI.
    expect(tokenCalls().map((r) => grantOf(r.body))).toEqual(['authorization_code']);
    expect((tokenCalls()[0]!.body as { redirect_uri: string }).redirect_uri).toBe(`${suite.stack.baseUrl}/oauth/callback`);
  });

  it('deny: the app says the person declined and offers to try again', async () => {
    const page = await open();
    await page.goto(`${suite.stack.baseUrl}/`);
    await page.getByRole('link', { name: 'Connect a calendar' }).click();
    await answerConsent(page, suite.stack.emulator.url, { decision: 'Deny' });

    await page.waitForURL(urlIs(`${suite.stack.baseUrl}/oauth/callback`));
    expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
    await expectVisible(page.getByRole('heading', { level: 1, name: 'You declined the connection' }));
    const again = page.getByRole('link', { name: 'Try again' });
    await expectVisible(again);
    expect(await again.getAttribute('href')).toBe('/connect/individual');
    await screenshot(page, 'individual-connect-denied');
    expect(tokenCalls()).toHaveLength(0);

    // "Try again" really starts a new flow.
    await again.click();
    await page.waitForURL(urlStarts(suite.stack.emulator.url, '/oauth/authorize?'));
    await expectVisible(page.getByRole('button', { name: 'Allow', exact: true }));
  });

  it('works without JavaScript: approve lands on the calendars', async () => {
    const page = await open({ javaScriptEnabled: false });
    await connectIndividual(page, suite.stack, 'Google Workspace');
    await expectVisible(calendarRow(page, 'Team offsites'));
    await expectText(calendarRow(page, 'Holidays in the United Kingdom'), 'Read-only');
    await expectText(page.locator('.banner.sandbox'), 'Sandbox mode.');
    await screenshot(page, 'no-javascript-connected');
    expect(tokenCalls().map((r) => grantOf(r.body))).toEqual(['authorization_code']);
  });
});

describe('token lifecycle in a browser', () => {
  it('refreshes after the access token expired: reloading the calendars still shows them, after exactly one refresh', async () => {
    const page = await open();
    await connectIndividual(page, suite.stack);
    suite.stack.emulator.control.clearRequests();
    suite.stack.emulator.control.expireAccessTokens();

    const response = await page.reload();
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${suite.stack.baseUrl}/calendars`);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Your calendars' }));
    await expectVisible(calendarRow(page, 'Team offsites'));
    // The connection card says when the token was refreshed (it said "not yet" before).
    const lastRefreshed = page.locator('section.connection dt:text-is("Last refreshed") + dd');
    await expectVisible(lastRefreshed);
    expect(await lastRefreshed.innerText()).not.toBe('not yet');
    await screenshot(page, 'refreshed-after-expiry');

    const refreshes = tokenCalls().filter((r) => grantOf(r.body) === 'refresh_token');
    expect(refreshes).toHaveLength(1);
    expect(tokenCalls()).toHaveLength(1);
  });

  it('disconnect: the app says so, and Cronofy was asked to revoke', async () => {
    const page = await open();
    await connectIndividual(page, suite.stack);
    suite.stack.emulator.control.clearRequests();

    await submitAppForm(page, suite.stack.baseUrl, page.getByRole('button', { name: 'Disconnect calendar' }));
    await page.waitForURL(`${suite.stack.baseUrl}/`);
    await expectText(page.locator('.flash.info'), 'Disconnected your calendar connection. Cronofy has revoked the access, and this app has deleted the tokens.');
    // No connection is shown any more.
    await expectAbsent(page.getByRole('heading', { name: 'Your calendar connection' }));
    await screenshot(page, 'disconnected');

    const revokes = suite.stack.emulator.control.requests().filter((r) => r.method === 'POST' && r.path === '/oauth/token/revoke');
    expect(revokes).toHaveLength(1);
    expect(revokes[0]!.status).toBe(200);

    // The calendars are gone too.
    await page.goto(`${suite.stack.baseUrl}/calendars`);
    await page.waitForURL(`${suite.stack.baseUrl}/?notice=connect-calendar`);
    await expectText(page.locator('.flash.info'), 'Connect a calendar first');
  });

  it('logout: a logged-out page, and the calendars are no longer shown', async () => {
    const page = await open();
    await connectIndividual(page, suite.stack);
    await page.goto(`${suite.stack.baseUrl}/`);
    await submitAppForm(page, suite.stack.baseUrl, page.getByRole('button', { name: /^Log out/ }));

    await page.waitForURL(`${suite.stack.baseUrl}/logout`);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'You are logged out' }));
    await screenshot(page, 'logged-out');
    const cookies = await page.context().cookies(suite.stack.baseUrl);
    expect(cookies.find((c) => c.name === 'cc.sid')).toBeUndefined();

    await page.goto(`${suite.stack.baseUrl}/calendars`);
    await page.waitForURL(`${suite.stack.baseUrl}/?notice=connect-calendar`);
    await expectText(page.locator('.flash.info'), 'Connect a calendar first');
    await expectAbsent(page.getByRole('heading', { name: 'Your calendars' }));
    await expectAbsent(page.getByText('Team offsites'));
    // Logging out revokes nothing at Cronofy.
    expect(suite.stack.emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke')).toHaveLength(0);
  });

  it('flow inspector: the steps of the connect just made, every secret masked, and the five diagrams loaded', async () => {
    const page = await open();
    const seen = recordNavigation(page);
    await connectIndividual(page, suite.stack);
    const authorize = seen.requestUrls.find((u) => u.startsWith(`${suite.stack.emulator.url}/oauth/authorize?`));
    const state = new URL(authorize ?? 'http://x/').searchParams.get('state') ?? '';
    expect(state).toHaveLength(43);

    await page.goto(`${suite.stack.baseUrl}/inspector`);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Flow inspector' }));
    await expectText(page.locator('ol.timeline'), 'Token request: POST /oauth/token');
    await expectText(page.locator('ol.timeline'), `${state.slice(0, 4)}… (43 chars)`);
    expect(await page.content()).not.toContain(state);

    await page.getByText('Diagrams of each flow').click();
    const diagrams = page.locator('details img');
    expect(await diagrams.count()).toBe(5);
    for (const img of await diagrams.all()) {
      await img.scrollIntoViewIfNeeded();
      expect(await img.evaluate((el) => { const image = el as unknown as { complete: boolean; naturalWidth: number }; return image.complete && image.naturalWidth > 0; })).toBe(true);
    }
    await screenshot(page, 'flow-inspector');
  });
});

