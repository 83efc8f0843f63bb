// Which Chromium the browser tests drive, first found wins:
// 1. CHROMIUM_PATH (set but missing is an error, never a silent fallback);
// 2. /usr/bin/chromium (Debian's package);
// 3. an installed Google Chrome;
// 4. the Chromium inside the dev dependency @sparticuz/chromium, with its launch arguments. Its
//    executablePath() unpacks the browser (about 200 MB, ~10 s) into a directory of ours under
//    node_modules/.cache, once: unpacked in a temporary directory and renamed into place, so test
//    files starting at the same time never see half a browser.
// With this, `npm install && npm test` needs no browser installed by hand.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

export interface FoundBrowser {
  executablePath: string;
  args: string[];
  /** Where it came from, for error messages. */
  source: string;
}

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';
export const CHROME_PATHS = [
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

const ROOT = path.join(__dirname, '..', '..');
const COMMON_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
// @sparticuz/chromium's list is made for AWS Lambda. Left out here: the two that would switch off
// the browser security (same-origin policy, mixed content) the tests exist to observe, and
// --single-process (Lambda's sandbox needs it; elsewhere the browser dies when a test closes its
// context, and the next test finds it gone).
const LEFT_OUT_ARGS = new Set(['--disable-web-security', '--allow-running-insecure-content', '--single-process']);

export interface FindOptions {
  env?: NodeJS.ProcessEnv;
  /** Default: the file exists and is executable (an empty file mounted over a browser hides it). */
  exists?: (file: string) => boolean;
  /** Step 4; replaceable so the order can be tested without unpacking. */
  packaged?: () => FoundBrowser;
}

export function findBrowser(options: FindOptions = {}): FoundBrowser {
  const env = options.env ?? process.env;
  const exists = options.exists ?? isExecutable;
  if (env.CHROMIUM_PATH) {
    if (!exists(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH is ${env.CHROMIUM_PATH}, and there is no executable file there. Unset it to let the tests find a browser.`);
    return { executablePath: env.CHROMIUM_PATH, args: COMMON_ARGS, source: 'CHROMIUM_PATH' };
  }
  if (exists(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, args: COMMON_ARGS, source: SYSTEM_CHROMIUM };
  const chrome = CHROME_PATHS.find((file) => exists(file));
  if (chrome) return { executablePath: chrome, args: COMMON_ARGS, source: 'Google Chrome' };
  return (options.packaged ?? packagedChromium)();
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** @sparticuz/chromium's browser, unpacked once into node_modules/.cache. */
export function packagedChromium(): FoundBrowser {
  const manifest = readFileSync(path.join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json'), 'utf8');
  const { version } = JSON.parse(manifest) as { version: string };
  const cache = path.join(ROOT, 'node_modules', '.cache');
  const home = path.join(cache, `sparticuz-chromium-${version}`);
  if (!existsSync(path.join(home, 'chromium'))) {
    mkdirSync(cache, { recursive: true });
    const unpacking = mkdtempSync(path.join(cache, 'sparticuz-chromium-unpacking-'));
    try {
      askPackage(unpacking);
      renameSync(unpacking, home);
    } catch (err) {
      rmSync(unpacking, { recursive: true, force: true });
      if (!existsSync(path.join(home, 'chromium'))) throw err; // else another test file finished first
    }
  }
  const answer = askPackage(home);
  return {
    executablePath: answer.path,
    args: answer.args.filter((arg) => !LEFT_OUT_ARGS.has(arg)),
    source: `@sparticuz/chromium ${version}`,
  };
}

/** The package is ESM only: ask a child node for its path and arguments, unpacking into `dir`. */
function askPackage(dir: string): { path: string; args: string[] } {
  const script = "import c from '@sparticuz/chromium'; const path = await c.executablePath(); console.log(JSON.stringify({ path, args: c.args }));";
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    // executablePath() unpacks into os.tmpdir() and reuses a browser already there.
    env: { ...process.env, TMPDIR: dir },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { path: string; args: string[] };
}
