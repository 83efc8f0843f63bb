// axe-core on the pages people use: the app's home, calendars, permissions and organization pages,
// and the emulator's consent and approval pages. No violation of impact serious or critical.
import type { Page } from 'playwright-core';
import {
  browserSuite,
  blocking,
  connectIndividual,
  connectOrganization,
  describeViolations,
  expectVisible,
  runAxe,
  screenshot,
  submitAppForm,
  urlStarts,
} from '../support/browser';

jest.setTimeout(60_000);

const suite = browserSuite();
const open = suite.open;

/** Screenshot, then axe; fails listing every serious or critical violation, and warns about the lesser ones. */
async function audit(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('load');
  await screenshot(page, `a11y-${name}`);
  const violations = await runAxe(page);
  const serious = blocking(violations);
  const lesser = violations.filter((v) => !serious.includes(v));
  if (lesser.length > 0) console.warn(describeViolations(`${name} (${page.url()}), minor/moderate only`, lesser));
  if (serious.length > 0) throw new Error(describeViolations(`${name} (${page.url()})`, serious));
}

describe('accessibility (axe-core): no serious or critical violations', () => {
  it('home page', async () => {
    const page = await open();
    await page.goto(`${suite.stack.baseUrl}/`);
    await expectVisible(page.getByRole('heading', { level: 1 }));
    await audit(page, 'home');
  });

  it('home page, connected (connection cards, logout form)', async () => {
    const page = await open();
    await connectIndividual(page, suite.stack);
    await page.goto(`${suite.stack.baseUrl}/`);
    await expectVisible(page.getByRole('heading', { name: 'Your calendar connection' }));
    await audit(page, 'home-connected');
  });

  it('calendars page', async () => {
    const page = await open();
    await connectIndividual(page, suite.stack);
    await audit(page, 'calendars');
  });

  it('permissions page', async () => {
    const page = await open();
    await connectIndividual(page, suite.stack);
    await page.goto(`${suite.stack.baseUrl}/permissions`);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Extended permissions' }));
    await audit(page, 'permissions');
  });

  it('organization page', async () => {
    const page = await open();
    await connectOrganization(page, suite.stack);
    await audit(page, 'organization');
  });

  it('emulator consent page', async () => {
    const page = await open();
    await page.goto(`${suite.stack.baseUrl}/connect/individual`);
    await page.waitForURL(urlStarts(suite.stack.emulator.url, '/oauth/authorize?'));
    await expectVisible(page.getByRole('button', { name: 'Allow', exact: true }));
    await audit(page, 'emulator-consent');
  });

  it('emulator approval page (Extended Permissions)', async () => {
    const page = await open();
    await connectIndividual(page, suite.stack);
    await page.goto(`${suite.stack.baseUrl}/permissions`);
    await page.getByRole('checkbox', { name: /^Team offsites \(/ }).check();
    await submitAppForm(page, suite.stack.baseUrl, page.getByRole('button', { name: 'Request unrestricted access' }));
    await page.waitForURL(urlStarts(suite.stack.emulator.url, '/permissions/requests/'));
    await expectVisible(page.getByRole('button', { name: 'Allow unrestricted access' }));
    await audit(page, 'emulator-approval');
  });

  it('readable on a phone: no page scrolls sideways at 375 px', async () => {
    const page = await open({ viewport: { width: 375, height: 740 }, isMobile: true });
    await connectIndividual(page, suite.stack);
    for (const path of ['/', '/calendars', '/permissions', '/inspector']) {
      await page.goto(`${suite.stack.baseUrl}${path}`);
      await expectVisible(page.getByRole('heading', { level: 1 }));
      const overflow = await page.evaluate(() => {
        const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
      expect({ path, overflow }).toEqual({ path, overflow: 0 });
    }
    await page.goto(`${suite.stack.baseUrl}/calendars`);
    await screenshot(page, 'phone-calendars');
  });
});

