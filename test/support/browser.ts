// Browser end-to-end support: the app, Redis and the bundled emulator as test/support/harness.ts
// builds them for every test, here listening on a real port with the sandbox banner on, and a
// Chromium (see find-browser.ts) driven by playwright-core.
//
// - startStack(): the harness, listening (APP_BASE_URL is its port on localhost).
// - launchChromium(): the browser findBrowser() picks, headless.
// - Page helpers play the person: connect through the emulator's consent page, screenshot, axe.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { findBrowser } from './find-browser';
import { type Harness, startHarness } from './harness';

export const SCREENSHOT_DIR = path.join(__dirname, '..', '..', 'test-artifacts', 'screenshots');

/**
 * How long a single wait (navigation, locator, screenshot) may take before the test fails with
 * Playwright's message: a bound for a machine busy with other work (a full-page screenshot took
 * over 15 s there), not a timing assert.
 */
export const WAIT_MS = 30_000;

export interface Stack extends Harness {
  /** The app's origin, e.g. http://localhost:41234. */
  baseUrl: string;
}

export interface StackOptions {
  /** Push notifications on, delivered to the app's own port (as in sandbox mode). */
  push?: boolean;
}

/** The harness's app, Redis and emulator, the app listening on a port of localhost as the demo does. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const h = await startHarness({ listen: { appBaseUrl: true, pushBaseUrl: options.push }, sandbox: true });
  if (!h.url) throw new Error('the harness did not listen');
  return { ...h, baseUrl: h.url };
}

/** The first browser findBrowser() finds, headless. Never skips: no browser at all fails the suite. */
export async function launchChromium(): Promise<Browser> {
  const browser = findBrowser();
  try {
    return await chromium.launch({ executablePath: browser.executablePath, headless: true, args: browser.args });
  } catch (err) {
    throw new Error(`Could not start the browser from ${browser.source} (${browser.executablePath}): ${(err as Error).message}`);
  }
}

/** A fresh context (own cookies) and page, with Playwright's waits bounded by WAIT_MS. */
export async function newPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  const page = await context.newPage();
  return { context, page };
}

/** Full-page screenshot into test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Escapes a string for use inside a RegExp. */
export const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A matcher for "this exact URL, with or without a query string". */
export const urlIs = (url: string): RegExp => new RegExp(`^${literal(url)}(\\?.*)?$`);

/** A matcher for any URL on `origin`, starting with `pathPrefix`. */
export const urlStarts = (origin: string, pathPrefix: string): RegExp => new RegExp(`^${literal(origin + pathPrefix)}`);

export interface ConsentOptions {
  /** Text of the account's label on the consent page, e.g. "Google Workspace"; default: the preselected one. */
  account?: string;
  decision?: 'Allow' | 'Deny';
}

/** On the emulator's consent page: pick the account, press Allow or Deny. Does not wait for where that leads. */
export async function answerConsent(page: Page, emulatorUrl: string, options: ConsentOptions = {}): Promise<void> {
  await page.waitForURL(urlStarts(emulatorUrl, '/oauth/authorize'));
  if (options.account) await page.getByLabel(options.account).check();
  await page.getByRole('button', { name: options.decision ?? 'Allow', exact: true }).click();
}

/**
 * Individual Connect through the UI: home page → "Connect a calendar" → consent (account, Allow)
 * → /calendars. Resolves once the calendars page shows.
 */
export async function connectIndividual(page: Page, stack: Stack, account = 'Google Workspace'): Promise<void> {
  await page.goto(`${stack.baseUrl}/`);
  await page.getByRole('link', { name: 'Connect a calendar' }).click();
  await answerConsent(page, stack.emulator.url, { account, decision: 'Allow' });
  await page.waitForURL(`${stack.baseUrl}/calendars`);
  await page.getByRole('heading', { level: 1, name: 'Your calendars' }).waitFor();
}

/** Organization Connect through the UI; resolves on /organization with the members listed. */
export async function connectOrganization(page: Page, stack: Stack): Promise<void> {
  await page.goto(`${stack.baseUrl}/`);
  await page.getByRole('link', { name: 'Connect an organization' }).click();
  await answerConsent(page, stack.emulator.url, { decision: 'Allow' });
  await page.waitForURL(`${stack.baseUrl}/organization`);
  await page.getByRole('heading', { level: 1, name: 'Your organization' }).waitFor();
}

/**
 * Clicks a submit button of one of the app's forms and waits for the app's answer to the POST.
 * If the app refuses it (4xx/5xx), fails at once with the page's message and the headers that
 * matter for its CSRF check, instead of timing out waiting for a page that never comes.
 */
export async function submitAppForm(page: Page, appOrigin: string, button: Locator): Promise<void> {
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).origin === appOrigin);
  await button.click();
  const response = await answered;
  if (response.status() < 400) return;
  await page.waitForLoadState('load');
  const headers = await response.request().allHeaders();
  throw new Error(
    `The app refused the form: POST ${new URL(response.url()).pathname} answered ${response.status()}.\n` +
      `Request headers: origin=${headers.origin ?? '(none)'}, sec-fetch-site=${headers['sec-fetch-site'] ?? '(none)'}\n` +
      `Page text:\n${await bodyText(page)}`,
  );
}

/** Every main-frame URL the page shows from now on (redirect hops the browser followed are in requestUrls). */
export function recordNavigation(page: Page): { frames: string[]; requestUrls: string[] } {
  const frames: string[] = [];
  const requestUrls: string[] = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) frames.push(frame.url());
  });
  page.on('request', (request) => void requestUrls.push(request.url()));
  return { frames, requestUrls };
}

// ---------------------------------------------------------------------------------------------
// axe-core

export interface AxeNode {
  target: unknown[];
  html: string;
  failureSummary?: string;
}
export interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core in the page and returns its violations. The app's and the emulator's CSPs forbid
 * inline scripts, so the script is not injected with a <script> tag: it is evaluated through the
 * DevTools protocol (page.evaluate), which CSP does not govern.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const script = `${axeSource}
;(async () => {
  const results = await axe.run(document, { resultTypes: ['violations'] });
  return JSON.stringify(results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
  })));
})()`;
  const json = await page.evaluate<string>(script);
  return JSON.parse(json) as AxeViolation[];
}

/** The violations that block people: impact serious or critical. */
export const blocking = (violations: AxeViolation[]): AxeViolation[] =>
  violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');

/** A readable report, one violation after another with the offending elements. */
export function describeViolations(where: string, violations: AxeViolation[]): string {
  if (violations.length === 0) return `${where}: no violations`;
  const lines = [`${where}: ${violations.length} accessibility violation(s)`];
  for (const v of violations) {
    lines.push(`  [${v.impact ?? 'unknown'}] ${v.id}: ${v.help} (${v.helpUrl})`);
    for (const node of v.nodes.slice(0, 10)) {
      lines.push(`      at ${JSON.stringify(node.target)}: ${node.html.slice(0, 200)}`);
      if (node.failureSummary) lines.push(...node.failureSummary.split('\n').map((l) => `        ${l}`));
    }
    if (v.nodes.length > 10) lines.push(`      …and ${v.nodes.length - 10} more element(s)`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Web-first assertions on locators (playwright-core ships no expect()): each waits for the page,
// then fails with what the page actually showed.

/** Waits until the (first) element is visible. */
export async function expectVisible(locator: Locator): Promise<void> {
  try {
    await locator.first().waitFor({ state: 'visible' });
  } catch (err) {
    throw new Error(`Expected ${String(locator)} to be visible on ${locator.page().url()}.\n${(err as Error).message.split('\n')[0]}\nPage text:\n${await bodyText(locator.page())}`);
  }
}

/** Waits until an element of `locator` containing `text` is visible. */
export async function expectText(locator: Locator, text: string | RegExp): Promise<void> {
  try {
    await locator.filter({ hasText: text }).first().waitFor({ state: 'visible' });
  } catch {
    const actual = (await locator.count()) > 0 ? await locator.allInnerTexts() : ['(no such element)'];
    throw new Error(`Expected ${String(locator)} on ${locator.page().url()} to contain ${JSON.stringify(String(text))}; it shows:\n${actual.join('\n---\n')}`);
  }
}

/** The page (already loaded) has no element matching `locator`. */
export async function expectAbsent(locator: Locator): Promise<void> {
  await locator.page().waitForLoadState('load');
  const count = await locator.count();
  if (count > 0) throw new Error(`Expected no ${String(locator)} on ${locator.page().url()}, found ${count}: ${(await locator.allInnerTexts()).join(' | ')}`);
}

async function bodyText(page: Page): Promise<string> {
  try {
    return (await page.locator('body').innerText({ timeout: 1000 })).slice(0, 2000);
  } catch {
    return '(unreadable)';
  }
}

export interface BrowserSuite {
  /** The app, Redis and emulator of this test file (set once beforeAll has run). */
  stack: Stack;
  /** A page in a fresh browser context, closed after the test. */
  open(options?: BrowserContextOptions): Promise<Page>;
}

/** One stack and one Chromium per test file; a fresh context per test; the emulator reset before each (its grants are global). */
export function browserSuite(options: StackOptions = {}): BrowserSuite {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  const suite = {
    stack: undefined as unknown as Stack,
    async open(options: BrowserContextOptions = {}): Promise<Page> {
      if (!browser) throw new Error('browserSuite: beforeAll has not run');
      const opened = await newPage(browser, options);
      context = opened.context;
      return opened.page;
    },
  };
  beforeAll(async () => {
    suite.stack = await startStack(options);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await suite.stack?.close();
  });
  beforeEach(() => suite.stack.emulator.control.reset());
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
  return suite;
}

