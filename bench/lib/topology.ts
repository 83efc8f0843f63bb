// Who runs where. With 2+ CPUs and taskset: the app instance A, B1 and BF on CPU 0 (the system
// under test); this orchestrator (load generator, flow driver), the emulator, the proxies and
// app instance B on CPU 1. Redis is the machine's shared server and is left as it is (see run.ts).
import { randomBytes } from 'node:crypto';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from '../../src/emulator/types';
import { BENCH_REDIS_URL } from './redis-tools';
import { type Child, freePort, startNode, waitForHttp } from './processes';

export const APP_CPU = '0';
export const LOAD_CPU = '1';

export interface Server {
  name: string;
  /** What browsers and load use, e.g. http://localhost:40000 (for the app: its APP_BASE_URL). */
  url: string;
  child: Child;
}

export interface Topology {
  emulatorUrl: string;
  emulator: Child;
  appA: Server;
  appB: Server;
  bf: Server;
  proxyOne: Server;
  proxyTwo: Server;
  sessionSecret: string;
  startB1(sessionJson: string): Promise<Server>;
  children(): Child[];
}

async function started(name: string, script: string, env: Record<string, string>, cpu: string | null, url: string): Promise<Server> {
  const child = startNode(name, script, env, cpu);
  await waitForHttp(`${url.replace('localhost', '127.0.0.1')}/healthz`, child);
  return { name, url, child };
}

export async function startTopology(pin: boolean): Promise<Topology> {
  const cpu = (which: string) => (pin ? which : null);
  const [emulatorPort, portA, portB, portB1, portBF, portOne, portTwo] = await Promise.all(Array.from({ length: 7 }, freePort));
  const base = (port: number | undefined) => `http://localhost:${port}`;
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const sessionSecret = randomBytes(24).toString('hex');
  const children: Child[] = [];

  const redirectUris = [portA, portB, portBF, portOne, portTwo].flatMap((port) => [`${base(port)}/oauth/callback`, `${base(port)}/permissions/callback`]);
  const emulator = startNode('emulator', 'bench/emulator-process.ts', {
    NODE_ENV: 'production',
    BENCH_EMULATOR_PORT: String(emulatorPort),
    BENCH_REDIRECT_URIS: redirectUris.join(','),
  }, cpu(LOAD_CPU));
  children.push(emulator);
  await waitForHttp(`${emulatorUrl}/`, emulator);

  // The production entry point itself (src/server.ts), configured only through the environment.
  const appEnv = (port: number | undefined): Record<string, string> => ({
    NODE_ENV: 'production',
    PORT: String(port),
    APP_BASE_URL: base(port),
    REDIS_URL: BENCH_REDIS_URL,
    SESSION_SECRET: sessionSecret,
    CRONOFY_CLIENT_ID: SANDBOX_CLIENT_ID,
    CRONOFY_CLIENT_SECRET: SANDBOX_CLIENT_SECRET,
    CRONOFY_APP_URL: emulatorUrl,
    CRONOFY_API_URL: emulatorUrl,
    // Every flow comes from 127.0.0.1: the default 30 connects/minute/IP would turn S3 into 429s.
    // The limiter still runs (one Redis EVALSHA per /connect and /oauth/callback), as in production.
    RATE_LIMIT_CONNECT_PER_MINUTE: '1000000000',
    RATE_LIMIT_POST_PER_MINUTE: '1000000000',
  });
  const baselineEnv = (port: number | undefined): Record<string, string> => ({
    NODE_ENV: 'production',
    PORT: String(port),
    APP_BASE_URL: base(port),
    REDIS_URL: BENCH_REDIS_URL,
    SESSION_SECRET: sessionSecret,
    BENCH_EMULATOR_URL: emulatorUrl,
  });

  const track = (server: Server) => (children.push(server.child), server);
  const [appA, appB, bf] = await Promise.all([
    started('app-A', 'src/server.ts', appEnv(portA), cpu(APP_CPU), base(portA)).then(track),
    started('app-B', 'src/server.ts', appEnv(portB), cpu(LOAD_CPU), base(portB)).then(track),
    started('baseline-BF', 'bench/baseline-bf.ts', baselineEnv(portBF), cpu(APP_CPU), base(portBF)).then(track),
  ]);
  const [proxyOne, proxyTwo] = await Promise.all([
    started('proxy-1', 'bench/proxy.ts', { NODE_ENV: 'production', PORT: String(portOne), BENCH_BACKENDS: `${portA}` }, cpu(LOAD_CPU), base(portOne)).then(track),
    started('proxy-2', 'bench/proxy.ts', { NODE_ENV: 'production', PORT: String(portTwo), BENCH_BACKENDS: `${portA},${portB}` }, cpu(LOAD_CPU), base(portTwo)).then(track),
  ]);

  return {
    emulatorUrl,
    emulator,
    appA,
    appB,
    bf,
    proxyOne,
    proxyTwo,
    sessionSecret,
    async startB1(sessionJson) {
      const b1 = await started('baseline-B1', 'bench/baseline-b1.ts', { ...baselineEnv(portB1), BENCH_SESSION_JSON: sessionJson }, cpu(APP_CPU), base(portB1));
      return track(b1);
    },
    children: () => [...children],
  };
}
