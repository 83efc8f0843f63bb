// Who runs where. With 2+ CPUs and taskset: the app, B1 and BF on CPU 0 (the systems under test,
// measured one at a time); this orchestrator (load generator, flow driver) and the emulator on
// CPU 1. Redis is the machine's shared server and is left as it is (see run.ts).
// Every server is compiled JavaScript: the app is dist/server.js (`npm run build`), the emulator
// dist/emulator/main.js, the baselines bench/baselines compiled by tsc (`npm run bench` builds both).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_SCOPE } from '../../src/config';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from '../../src/emulator/types';
import { freePort } from '../../test/support/ports';
import { BENCH_REDIS_URL } from './redis-tools';
import { type Child, ROOT, startNode, waitForHttp } from './processes';

export const APP_CPU = '0';
export const LOAD_CPU = '1';
export const BASELINES_DIR = path.join(ROOT, 'node_modules', '.cache', 'cronofy-connect-bench', 'baselines');

export interface Server {
  name: string;
  /** What browsers and load use, e.g. http://localhost:40000 (for the app: its APP_BASE_URL). */
  url: string;
  child: Child;
}

export interface Topology {
  emulatorUrl: string;
  emulator: Child;
  app: Server;
  bf: Server;
  sessionSecret: string;
  /** B1 with the app's session fields, and the app's home page for its /page to send. */
  startB1(sessionJson: string, pageHtml: string): Promise<Server>;
  children(): Child[];
}

export interface TopologyOptions {
  pin: boolean;
  /** Extra `node` flags for the app (e.g. --cpu-prof). */
  appNodeArgs?: string[];
  /** Extra `node` flags for B1 and BF. */
  baselineNodeArgs?: string[];
  /** Environment for the app on top of the benchmark's (e.g. the read cache back on for the soak). */
  appEnv?: Record<string, string>;
  /** A program that runs `node` for the app and the baselines (valgrind), and how long they may take to start. */
  launcher?: string[];
  startTimeoutMs?: number;
}

interface Launch {
  nodeArgs?: string[];
  probe?: string;
  launcher?: string[];
  timeoutMs?: number;
}

async function started(name: string, script: string, env: Record<string, string>, cpu: string | null, url: string, launch: Launch = {}): Promise<Server> {
  const child = startNode(name, script, env, cpu, launch.nodeArgs, launch.launcher);
  await waitForHttp(`${url.replace('localhost', '127.0.0.1')}${launch.probe ?? '/healthz'}`, child, launch.timeoutMs);
  return { name, url, child };
}

export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const { pin, appNodeArgs = [], baselineNodeArgs = [], appEnv: extraAppEnv = {}, launcher, startTimeoutMs: timeoutMs } = options;
  const cpu = (which: string) => (pin ? which : null);
  const [emulatorPort, appPort, b1Port, bfPort] = await Promise.all(Array.from({ length: 4 }, freePort));
  const base = (port: number | undefined) => `http://localhost:${port}`;
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const sessionSecret = randomBytes(24).toString('hex');
  const children: Child[] = [];
  const track = (server: Server) => (children.push(server.child), server);

  // The standalone emulator (npm run emulator), control API on (the orchestrator clears its
  // request log between runs), no rate limit (the runs would measure its 429s).
  const redirectUris = [appPort, bfPort].flatMap((port) => [`${base(port)}/oauth/callback`, `${base(port)}/permissions/callback`]);
  const emulator = track(
    await started('emulator', 'dist/emulator/main.js', {
      NODE_ENV: 'production',
      EMULATOR_PORT: String(emulatorPort),
      EMULATOR_REDIRECT_URIS: redirectUris.join(','),
      EMULATOR_CONTROL_API: 'true',
      EMULATOR_RATE_LIMIT: 'false',
    }, cpu(LOAD_CPU), emulatorUrl, { probe: '/' }),
  ).child;

  // The production entry point itself, configured only through the environment.
  const appEnv: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(appPort),
    APP_BASE_URL: base(appPort),
    REDIS_URL: BENCH_REDIS_URL,
    SESSION_SECRET: sessionSecret,
    CRONOFY_CLIENT_ID: SANDBOX_CLIENT_ID,
    CRONOFY_CLIENT_SECRET: SANDBOX_CLIENT_SECRET,
    CRONOFY_APP_URL: emulatorUrl,
    CRONOFY_API_URL: emulatorUrl,
    // The calendars page compares with a baseline that has no cache: the app must not have one either.
    CRONOFY_CACHE_SECONDS: '0',
    // Every flow comes from 127.0.0.1: the default 30 connects/minute/IP would turn the flows into
    // 429s. The limiters still run (one Redis call each), as in production.
    RATE_LIMIT_CONNECT_PER_MINUTE: '1000000000',
    RATE_LIMIT_POST_PER_MINUTE: '1000000000',
    RATE_LIMIT_PAGES_PER_MINUTE: '1000000000',
    ...extraAppEnv,
  };
  const baselineEnv = (port: number | undefined): Record<string, string> => ({
    NODE_ENV: 'production',
    PORT: String(port),
    APP_BASE_URL: base(port),
    REDIS_URL: BENCH_REDIS_URL,
    SESSION_SECRET: sessionSecret,
    BENCH_EMULATOR_URL: emulatorUrl,
    BENCH_CLIENT_ID: SANDBOX_CLIENT_ID,
    BENCH_CLIENT_SECRET: SANDBOX_CLIENT_SECRET,
    BENCH_SCOPE: DEFAULT_SCOPE,
  });

  const [app, bf] = await Promise.all([
    started('app', 'dist/server.js', appEnv, cpu(APP_CPU), base(appPort), { nodeArgs: appNodeArgs, launcher, timeoutMs }).then(track),
    started('baseline-BF', path.join(BASELINES_DIR, 'bf.js'), baselineEnv(bfPort), cpu(APP_CPU), base(bfPort), { nodeArgs: baselineNodeArgs, timeoutMs }).then(track),
  ]);

  return {
    emulatorUrl,
    emulator,
    app,
    bf,
    sessionSecret,
    async startB1(sessionJson, pageHtml) {
      const b1Env = { ...baselineEnv(b1Port), BENCH_SESSION_JSON: sessionJson, BENCH_PAGE_HTML: pageHtml };
      const b1 = await started('baseline-B1', path.join(BASELINES_DIR, 'b1.js'), b1Env, cpu(APP_CPU), base(b1Port), { nodeArgs: baselineNodeArgs, launcher, timeoutMs });
      return track(b1);
    },
    children: () => [...children],
  };
}
