// Which browser the browser tests use: CHROMIUM_PATH, /usr/bin/chromium, Google Chrome, then the
// Chromium inside @sparticuz/chromium, so a fresh machine needs none installed.
import { existsSync } from 'node:fs';
import { CHROME_PATHS, findBrowser, packagedChromium, SYSTEM_CHROMIUM, type FoundBrowser } from '../support/find-browser';

const PACKAGED: FoundBrowser = { executablePath: '/packaged/chromium', args: [], source: 'packaged' };
const only = (...files: string[]) => (file: string) => files.includes(file);
const packaged = () => PACKAGED;

describe('findBrowser', () => {
  it('takes CHROMIUM_PATH first, even when /usr/bin/chromium and Chrome exist', () => {
    const found = findBrowser({ env: { CHROMIUM_PATH: '/opt/mine' }, exists: only('/opt/mine', SYSTEM_CHROMIUM, CHROME_PATHS[0]!), packaged });
    expect(found.executablePath).toBe('/opt/mine');
  });

  it('fails, naming the variable, when CHROMIUM_PATH points at nothing', () => {
    expect(() => findBrowser({ env: { CHROMIUM_PATH: '/nowhere' }, exists: only(SYSTEM_CHROMIUM), packaged })).toThrow(/CHROMIUM_PATH is \/nowhere/);
  });

  it("then Debian's /usr/bin/chromium, then an installed Chrome", () => {
    expect(findBrowser({ env: {}, exists: only(SYSTEM_CHROMIUM, CHROME_PATHS[1]!), packaged }).executablePath).toBe(SYSTEM_CHROMIUM);
    expect(findBrowser({ env: {}, exists: only(CHROME_PATHS[1]!), packaged }).executablePath).toBe(CHROME_PATHS[1]);
  });

  it('falls back to the packaged Chromium when no browser is installed', () => {
    expect(findBrowser({ env: {}, exists: only(), packaged })).toBe(PACKAGED);
  });
});

describe('packagedChromium', () => {
  it("unpacks @sparticuz/chromium's browser and keeps its arguments, except --single-process and the ones that switch off web security", () => {
    const found = packagedChromium();
    expect(existsSync(found.executablePath)).toBe(true);
    expect(found.executablePath).toMatch(/node_modules\/\.cache\/sparticuz-chromium-153\.\d+\.\d+\/chromium$/);
    expect(found.args).toEqual(expect.arrayContaining(['--no-sandbox', '--no-zygote', '--use-angle=swiftshader']));
    expect(found.args).not.toContain('--single-process');
    expect(found.args).not.toContain('--disable-web-security');
    expect(found.args).not.toContain('--allow-running-insecure-content');
  }, 120_000);
});
