// Extended Permissions in a real browser: the app's form, the emulator's approval page, and the
// Enterprise Connect case that is granted without leaving the app.
import type { Page } from 'playwright-core';
import {
  browserSuite,
  connectIndividual,
  expectAbsent,
  expectText,
  expectVisible,
  literal,
  recordNavigation,
  screenshot,
  submitAppForm,
  urlIs,
  urlStarts,
} from '../support/browser';

jest.setTimeout(60_000);

const suite = browserSuite();
const open = suite.open;

const permissionCalls = () => suite.stack.emulator.control.requests().filter((r) => r.method === 'POST' && r.path === '/v1/permissions');
const approvalPageHits = () => suite.stack.emulator.control.requests().filter((r) => r.path.startsWith('/permissions/requests/'));

/** From the calendars page to /permissions, tick `calendar`, submit. */
async function requestUnrestricted(page: Page, calendar: string): Promise<void> {
  const name = new RegExp(`^${literal(calendar)} \\(`);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Permissions' }).click();
  await page.waitForURL(`${suite.stack.baseUrl}/permissions`);
  await expectVisible(page.getByRole('heading', { level: 1, name: 'Extended permissions' }));
  const box = page.getByRole('checkbox', { name });
  await box.check();
  expect(await box.isChecked()).toBe(true);
  await submitAppForm(page, suite.stack.baseUrl, page.getByRole('button', { name: 'Request unrestricted access' }));
}

describe('Extended Permissions in a browser', () => {
  it('approve: tick a calendar → the emulator approval page → "Allow unrestricted access" → the app shows it unrestricted', async () => {
    const page = await open();
    await connectIndividual(page, suite.stack, 'Google Workspace');
    await requestUnrestricted(page, 'Team offsites');

    await page.waitForURL(urlStarts(suite.stack.emulator.url, '/permissions/requests/'));
    await expectVisible(page.getByRole('heading', { level: 1, name: /asks for unrestricted access/ }));
    await expectText(page.getByRole('listitem'), 'Team offsites');
    await screenshot(page, 'permissions-approval-page');
    await page.getByRole('button', { name: 'Allow unrestricted access' }).click();

    await page.waitForURL(urlIs(`${suite.stack.baseUrl}/permissions/callback`));
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Unrestricted access granted' }));
    const now = page.getByRole('heading', { level: 2, name: 'Now unrestricted' });
    await expectVisible(now);
    await expectText(page.locator('h2:text-is("Now unrestricted") + ul > li'), 'Team offsites');
    await expectAbsent(page.getByRole('heading', { level: 2, name: 'Still not unrestricted' }));
    await screenshot(page, 'permissions-granted');
    expect(permissionCalls()).toHaveLength(1);
    expect(permissionCalls()[0]!.body).toMatchObject({ redirect_uri: `${suite.stack.baseUrl}/permissions/callback` });

    // The calendars page agrees: Team offsites is unrestricted, the others are still sandbox.
    await page.getByRole('link', { name: 'See the calendars' }).click();
    await page.waitForURL(`${suite.stack.baseUrl}/calendars`);
    const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
    await expectText(row('Team offsites').locator('.level'), 'unrestricted');
    await expectText(row('Avery Quinn').locator('.level'), 'sandbox');
  });

  it('deny: the app shows the declined page and nothing is granted', async () => {
    const page = await open();
    await connectIndividual(page, suite.stack, 'Google Workspace');
    await requestUnrestricted(page, 'Avery Quinn');

    await page.waitForURL(urlStarts(suite.stack.emulator.url, '/permissions/requests/'));
    await page.getByRole('button', { name: 'Deny', exact: true }).click();

    await page.waitForURL(urlIs(`${suite.stack.baseUrl}/permissions/callback`));
    expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
    await expectVisible(page.getByRole('heading', { level: 1, name: 'You declined the extended permissions' }));
    await expectVisible(page.getByRole('link', { name: 'Try again' }));
    await screenshot(page, 'permissions-declined');

    // Still offered as a checkbox: nothing changed.
    await page.getByRole('link', { name: 'Try again' }).click();
    await page.waitForURL(`${suite.stack.baseUrl}/permissions`);
    await expectVisible(page.getByRole('checkbox', { name: /^Avery Quinn \(/ }));
  });

  it('Enterprise Connect (linked): granted at once, the browser never leaves the app', async () => {
    const page = await open();
    await connectIndividual(page, suite.stack, 'Enterprise Connect (linked)');
    const seen = recordNavigation(page);
    suite.stack.emulator.control.clearRequests();
    await requestUnrestricted(page, 'Room bookings');

    // POST /permissions answers with the result page itself.
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Unrestricted access granted' }));
    expect(page.url()).toBe(`${suite.stack.baseUrl}/permissions`);
    await expectText(page.locator('section.card'), 'linked to Enterprise Connect');
    await expectText(page.locator('h2:text-is("Now unrestricted") + ul > li'), 'Room bookings');
    await screenshot(page, 'permissions-enterprise-connect');

    const appOrigin = new URL(suite.stack.baseUrl).origin;
    const offOrigin = [...seen.frames, ...seen.requestUrls].filter((url) => new URL(url).origin !== appOrigin);
    expect(offOrigin).toEqual([]);
    expect(seen.frames.length).toBeGreaterThan(0);
    expect(permissionCalls()).toHaveLength(1);
    expect(approvalPageHits()).toHaveLength(0);
  });
});
