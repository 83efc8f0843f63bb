// Organization Connect in a real browser: connect the unit, list every member (one page, as
// documented), open one member, fetched with Cronofy-Impersonate.
import {
  browserSuite,
  answerConsent,
  expectText,
  expectVisible,
  screenshot,
} from '../support/browser';

jest.setTimeout(60_000);

const suite = browserSuite();
const open = suite.open;

const MEMBERS = 25;

describe('Organization Connect in a browser', () => {
  it('connects the organization, lists all 25 members, and shows a member fetched as them', async () => {
    const page = await open();
    await page.goto(`${suite.stack.baseUrl}/`);
    await page.getByRole('link', { name: 'Connect an organization' }).click();

    // The consent page offers the one organizational unit.
    await expectVisible(page.getByRole('heading', { level: 1, name: /wants to connect to your organization/ }));
    const choices = page.getByRole('radio');
    expect(await choices.count()).toBe(1);
    await expectVisible(page.getByLabel(/Evenitron \(organizational unit\)/));
    await answerConsent(page, suite.stack.emulator.url, { decision: 'Allow' });

    await page.waitForURL(`${suite.stack.baseUrl}/organization`);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Your organization' }));
    await expectVisible(page.getByRole('heading', { level: 2, name: `Members (${MEMBERS})` }));
    const links = page.locator('table a[href^="/organization/members/"]');
    expect(await links.count()).toBe(MEMBERS);
    const emails = await links.allInnerTexts();
    expect(new Set(emails).size).toBe(MEMBERS);
    expect(emails).toEqual(expect.arrayContaining(['marty@evenitron.com', 'doc@evenitron.com', 'wilson@evenitron.com']));
    await screenshot(page, 'organization-members');

    // The emulator served the members on the one documented page: the app asked once.
    const memberPages = suite.stack.emulator.control.requests().filter((r) => r.method === 'GET' && r.path.startsWith('/v1/organizational_unit_members'));
    expect(memberPages).toHaveLength(1);
    expect(memberPages.every((r) => r.status === 200)).toBe(true);

    // One member: their identity and calendars, asked for as them.
    const member = page.getByRole('link', { name: 'jennifer@evenitron.com', exact: true });
    const href = (await member.getAttribute('href'))!;
    const sub = decodeURIComponent(href.split('/').pop()!);
    expect(sub).toMatch(/^acc_[0-9a-f]{24}$/);
    suite.stack.emulator.control.clearRequests();
    await member.click();

    await page.waitForURL(`${suite.stack.baseUrl}${href}`);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Jennifer' }));
    await expectText(page.locator('dd'), sub);
    await expectText(page.locator('dd'), 'jennifer@evenitron.com');
    await expectVisible(page.getByRole('heading', { level: 2, name: /jennifer@evenitron\.com/ }));
    await expectText(page.getByRole('listitem'), 'Jennifer (primary)');
    await expectText(page.getByRole('listitem'), 'Lab bookings');
    await screenshot(page, 'organization-member');

    const impersonated = suite.stack.emulator.control.requests().filter((r) => r.headers['cronofy-impersonate'] !== undefined);
    expect(impersonated.map((r) => [r.path, r.headers['cronofy-impersonate']])).toEqual(
      expect.arrayContaining([
        ['/v1/userinfo', sub],
        ['/v1/calendars', sub],
      ]),
    );
    expect(impersonated.every((r) => r.headers['cronofy-impersonate'] === sub && r.status === 200)).toBe(true);
  });
});
