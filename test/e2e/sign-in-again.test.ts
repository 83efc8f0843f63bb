// Signing in again (decision 010), in a real browser: the emulator's linking cookie stays in the
// browser, the app's session does not; connecting again finds the same connection and says so.
import { browserSuite, connectIndividual, expectText, expectVisible, screenshot, submitAppForm } from '../support/browser';

jest.setTimeout(60_000);

const suite = browserSuite();

describe('signing in again in a browser', () => {
  it('M2: connect, log out, connect again: "Welcome back", the same calendars, one grant at Cronofy and nothing revoked', async () => {
    const page = await suite.open();
    await connectIndividual(page, suite.stack);
    const [grant] = suite.stack.emulator.control.liveGrants();

    await page.goto(`${suite.stack.baseUrl}/`);
    await submitAppForm(page, suite.stack.baseUrl, page.getByRole('button', { name: /^Log out/ }));
    await expectVisible(page.getByRole('heading', { level: 1, name: 'You are logged out' }));
    await expectText(page.locator('main'), 'Your calendar connection is kept');

    await connectIndividual(page, suite.stack);
    await expectText(page.locator('.flash.info'), 'Welcome back');
    await expectVisible(page.getByText('Team offsites'));
    await screenshot(page, 'sign-in-again');

    expect(suite.stack.emulator.control.liveGrants()).toEqual([grant]);
    expect(suite.stack.emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke')).toHaveLength(0);
  });
});
