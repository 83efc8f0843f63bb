// Enterprise Connect in a real browser, the administrator's whole path: authorize the service
// account on the emulator's Enterprise Connect page, authorize people by email (Cronofy's signed
// callbacks really POSTed to the listening app), see a person's calendars, revoke a person,
// disconnect the service account. Screenshots of each key page.
import {
  blocking,
  browserSuite,
  describeViolations,
  expectText,
  expectVisible,
  runAxe,
  screenshot,
  submitAppForm,
  urlStarts,
} from '../support/browser';

jest.setTimeout(90_000);

const suite = browserSuite();

describe('Enterprise Connect in a browser', () => {
  it("takes an administrator from the service account to people's calendars, revocation and disconnection", async () => {
    const page = await suite.open();
    const { baseUrl, emulator } = suite.stack;
    const row = (email: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: email }) });

    await page.goto(`${baseUrl}/`);
    await page.getByRole('link', { name: 'Connect a service account' }).click();

    // The emulator's Enterprise Connect page: one domain, its people, what the grant allows.
    await page.waitForURL(urlStarts(emulator.url, '/enterprise_connect/oauth/authorize'));
    await expectVisible(page.getByRole('heading', { level: 1, name: /wants a service account for your domain/ }));
    await expectVisible(page.getByLabel(/fabrikam\.example \(Microsoft 365\)/));
    await screenshot(page, 'enterprise-admin-consent');
    await page.getByRole('button', { name: 'Allow', exact: true }).click();

    // Back through the one callback to the Enterprise page, which describes the service account.
    await page.waitForURL(`${baseUrl}/enterprise`);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Enterprise Connect' }));
    await expectText(page.locator('dd'), 'fabrikam.example');
    await expectText(page.locator('dd'), 'service_account/accounts/manage');
    await expectText(page.getByRole('status'), 'The service account is connected');

    // A person of the domain, and one outside it.
    for (const email of ['sam.okafor@fabrikam.example', 'avery.quinn@northwind.example']) {
      await page.getByLabel("Authorize a person's calendar by email").fill(email);
      await submitAppForm(page, baseUrl, page.getByRole('button', { name: 'Authorize', exact: true }));
      await page.waitForURL(`${baseUrl}/enterprise`);
      await expectText(page.getByRole('status'), `Asked Cronofy to authorize ${email}`);
    }
    // Cronofy's callbacks were POSTed to the app; once both are answered the list shows the outcome.
    await emulator.control.callbacksSettled();
    expect(emulator.control.callbacks().map((c) => c.status)).toEqual([200, 200]);
    await page.reload();
    await expectText(row('sam.okafor@fabrikam.example'), 'authorized');
    await expectText(row('avery.quinn@northwind.example'), 'failed');
    await expectText(row('avery.quinn@northwind.example'), 'is not in fabrikam.example');
    await screenshot(page, 'enterprise-people');
    const violations = blocking(await runAxe(page));
    expect(violations).toEqual([]);
    if (violations.length > 0) throw new Error(describeViolations('/enterprise', violations));

    // The person's calendars, read with their own token.
    await page.getByRole('link', { name: 'sam.okafor@fabrikam.example' }).click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'sam.okafor@fabrikam.example' }));
    await expectText(page.getByRole('listitem'), 'Calendar (primary)');
    await expectText(page.getByRole('listitem'), 'Fabrikam team');
    await screenshot(page, 'enterprise-person');

    // Revoke the person from their page.
    suite.stack.emulator.control.clearRequests();
    await submitAppForm(page, baseUrl, page.getByRole('button', { name: 'Revoke this person' }));
    await page.waitForURL(`${baseUrl}/enterprise`);
    await expectText(page.getByRole('status'), 'Revoked sam.okafor@fabrikam.example');
    await expectText(row('sam.okafor@fabrikam.example'), 'revoked');
    expect(emulator.control.requests().filter((r) => r.path === '/oauth/token/revoke')).toHaveLength(1);

    // Authorize another, then disconnect the service account: the page says what happens to people.
    await page.getByLabel("Authorize a person's calendar by email").fill('jo.garcia@fabrikam.example');
    await submitAppForm(page, baseUrl, page.getByRole('button', { name: 'Authorize', exact: true }));
    await page.waitForURL(`${baseUrl}/enterprise`, { waitUntil: 'load' }); // the redirect after the POST has landed
    await emulator.control.callbacksSettled();
    await page.reload();
    await expectText(row('jo.garcia@fabrikam.example'), 'authorized');
    await submitAppForm(page, baseUrl, page.getByRole('button', { name: /Disconnect the service account/ }));
    await page.waitForURL(`${baseUrl}/`);
    await expectText(page.getByRole('status'), 'Cronofy has revoked it');
    await expectText(page.getByRole('status'), 'The person authorized through it lost access too');
    await screenshot(page, 'enterprise-disconnected');

    // The flow inspector shows the server-to-server callback in this session's timeline.
    await page.goto(`${baseUrl}/inspector`);
    await expectText(page.locator('li'), 'authorization.code received');
  });
});
