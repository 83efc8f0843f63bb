// Push notifications, profile health and linked accounts, in a real browser: the emulator delivers
// signed notifications to the app's real port, and the calendars page updates over Server-Sent
// Events without a reload.
import type { Page } from 'playwright-core';
import { seedWorld } from '../../src/emulator/seed';
import { pushOf } from '../../src/push';
import { blocking, browserSuite, connectIndividual, describeViolations, expectAbsent, expectText, expectVisible, runAxe, screenshot, submitAppForm, urlStarts } from '../support/browser';

jest.setTimeout(60_000);

const suite = browserSuite({ push: true });
const AVERY = 'avery.quinn@northwind.example';
const averyProfileId = seedWorld().accounts.find((a) => a.email === AVERY)!.profiles[0]!.profile_id;

/** Connected, on /calendars, with the live-update stream open and the channel verified. */
async function liveCalendars(page: Page): Promise<void> {
  await connectIndividual(page, suite.stack, 'Google Workspace');
  await expectText(page.locator('#live-note'), 'This page updates by itself.');
  await suite.stack.emulator.control.pushSettled();
  // A mark on the document: it survives only if the page is never reloaded.
  await page.evaluate("document.body.setAttribute('data-not-reloaded', 'yes')");
}

const notReloaded = async (page: Page) => expect(await page.locator('body').getAttribute('data-not-reloaded')).toBe('yes');

describe('push notifications in a browser', () => {
  it('a change made in the calendar appears on the calendars page without a reload', async () => {
    const page = await suite.open();
    await liveCalendars(page);
    suite.stack.emulator.control.changeEvent(AVERY, 'Team dinner at the harbour');
    await expectText(page.locator('#push-activity'), 'New or changed: Team dinner at the harbour');
    await notReloaded(page);
    await screenshot(page, 'push-change-live');
    const violations = blocking(await runAxe(page));
    expect(violations).toEqual([]);
    if (violations.length > 0) throw new Error(describeViolations('calendars with push', violations));
  });

  it('without JavaScript, a reload shows the same change', async () => {
    const page = await suite.open({ javaScriptEnabled: false });
    await connectIndividual(page, suite.stack, 'Google Workspace');
    await suite.stack.emulator.control.pushSettled();
    suite.stack.emulator.control.changeEvent(AVERY, 'Budget review');
    await suite.stack.emulator.control.pushSettled();
    await pushOf(suite.stack.app).settled();
    await page.reload();
    await expectText(page.locator('#push-activity'), 'New or changed: Budget review');
    await expectText(page.locator('#push-activity'), 'Reload the page to see new changes.');
  });

  it('a profile disconnected at Cronofy shows live; Reconnect leads to the relink page; afterwards it is healthy', async () => {
    const page = await suite.open();
    await liveCalendars(page);
    suite.stack.emulator.control.disconnectProfile(averyProfileId);
    const health = page.locator('#profile-health');
    await expectText(health, 'Disconnected');
    await notReloaded(page);
    await screenshot(page, 'push-profile-disconnected');

    await page.getByRole('link', { name: 'Reconnect Google', exact: true }).click();
    await page.waitForURL(urlStarts(suite.stack.emulator.url, `/relink/${averyProfileId}`));
    await page.getByRole('button', { name: 'Sign in and reconnect' }).click();
    await expectVisible(page.getByRole('heading', { level: 1, name: `${AVERY} is connected again` }));

    await page.goto(`${suite.stack.baseUrl}/calendars`);
    // The app has handled Cronofy's notification once its feed says so (the panels update live);
    // only then is the health panel's answer final ('Connected' is also inside 'Disconnected').
    await expectText(page.locator('#push-activity'), `${AVERY} (google) is connected again.`);
    await expectText(page.locator('#profile-health .status.ok'), /^Connected$/);
    await expectAbsent(page.getByRole('link', { name: 'Reconnect Google', exact: true }));
  });

  it('a second provider joins the same Cronofy account through "Add another calendar account"', async () => {
    const page = await suite.open();
    await connectIndividual(page, suite.stack, 'Google Workspace');
    await submitAppForm(page, suite.stack.baseUrl, page.getByRole('button', { name: 'Add Microsoft 365 / Exchange' }));
    await page.waitForURL(urlStarts(suite.stack.emulator.url, '/oauth/authorize?'));
    await expectText(page.locator('main'), `joins the Cronofy account of ${AVERY}`);
    // provider_name pre-selected the Microsoft 365 account.
    expect(await page.getByLabel('Microsoft 365').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Allow', exact: true }).click();

    await page.waitForURL(`${suite.stack.baseUrl}/calendars`);
    await expectText(page.locator('.flash.info'), 'Connected morgan.lee@contoso.example (exchange).');
    const accounts = page.locator('#profile-health li');
    await expectText(accounts, AVERY);
    await expectText(accounts, 'morgan.lee@contoso.example');
    await expectVisible(page.getByRole('heading', { level: 2, name: /morgan\.lee@contoso\.example/ }));
    await expectVisible(page.getByRole('heading', { level: 2, name: /avery\.quinn@northwind\.example/ }));
    await screenshot(page, 'linked-second-provider');
  });
});
