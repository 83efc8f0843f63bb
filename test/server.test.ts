// The production build and the process it runs: `npm run build`, then `node dist/server.js` exactly
// as the Docker image starts it (sandbox start-up, graceful shutdown on SIGTERM), and the
// Dockerfile's stages checked against what the build produced (no Docker engine runs here).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './support/ports';
import { dockerfileStages } from './support/dockerfile';

const ROOT = path.join(__dirname, '..');
const BUILD_TIMEOUT_MS = 180_000;
/** A whole process start and stop, which takes seconds on a loaded machine; a bound, not a timing assert. */
const PROCESS_TIMEOUT_MS = 60_000;
const SERVER = path.join(ROOT, 'dist', 'server.js');
// The server loads .env from its working directory: run it from an empty one, so that a developer's
// .env (real credentials, a Redis) does not change what these tests start.
let runDir = '';
const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(CRONOFY_|EMULATOR_|APP_BASE_URL|PORT|HOST|NODE_ENV|SESSION_SECRET|TOKEN_|TRUST_PROXY|INSPECTOR|REDIS_|PUSH_|METRICS_)/.test(k)));

beforeAll(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'server-test-'));
  const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build failed (${built.status}):\n${built.stdout}\n${built.stderr}`);
}, BUILD_TIMEOUT_MS);
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

describe('npm run build', () => {
  it('compiles the server and the emulator to dist/, with the emulator views and stylesheet beside its code', () => {
    for (const file of ['server.js', 'app.js', 'emulator/index.js', 'emulator/main.js', 'emulator/assets/emulator.css', 'emulator/views/consent.ejs']) {
      expect(existsSync(path.join(ROOT, 'dist', file))).toBe(true);
    }
    expect(existsSync(path.join(ROOT, 'dist', 'server.ts'))).toBe(false);
  });

  it('needs only production dependencies at run time (the image installs no others)', () => {
    const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const required = new Set<string>();
    for (const file of readdirSync(path.join(ROOT, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'))) {
      for (const [, name] of readFileSync(path.join(ROOT, 'dist', file), 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) {
        if (!isBuiltin(name!)) required.add(name!.startsWith('@') ? name!.split('/').slice(0, 2).join('/') : name!.split('/')[0]!);
      }
    }
    expect(required.size).toBeGreaterThan(5);
    expect([...required].filter((name) => !(name in dependencies))).toEqual([]);
  });
});

describe('the Dockerfile', () => {
  const stages = dockerfileStages(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  const build = stages.find((s) => s.name === 'build');
  const run = stages[stages.length - 1]!;

  it('builds and runs on node:24-bookworm-slim in two stages', () => {
    expect(stages.map((s) => s.from)).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim']);
    expect(build?.instructions).toContainEqual(['RUN', 'npm run build']);
  });

  it('installs production dependencies only in the image it runs, as a non-root user, with a HEALTHCHECK', () => {
    expect(run.instructions.filter(([op]) => op === 'RUN').map(([, args]) => args)).toEqual([
      'npm ci --omit=dev --no-audit --no-fund && npm cache clean --force',
    ]);
    expect(run.instructions).toContainEqual(['USER', 'node']);
    const health = run.instructions.find(([op]) => op === 'HEALTHCHECK');
    expect(health?.[1]).toMatch(/CMD \["node", "-e", .*\/readyz/);
  });

  it('runs node dist/server.js, which the build produces, with every path the compiled app reads copied in', () => {
    const cmd = run.instructions.find(([op]) => op === 'CMD');
    expect(JSON.parse(cmd![1])).toEqual(['node', 'dist/server.js']);
    const copies = run.instructions.filter(([op]) => op === 'COPY').map(([, args]) => args);
    const workdir = run.instructions.find(([op]) => op === 'WORKDIR')![1];
    const buildWorkdir = build!.instructions.find(([op]) => op === 'WORKDIR')![1];
    // dist/ comes from the build stage's outDir; views/ and public/ from the repository.
    const outDir = (JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { outDir: string } }).compilerOptions.outDir;
    expect(copies).toContain(`--from=build ${path.posix.join(buildWorkdir, outDir)} ./dist`);
    expect(existsSync(path.join(ROOT, 'dist', 'server.js'))).toBe(true);
    for (const [source, target] of [['views', './views'], ['public', './public']]) {
      expect(copies).toContain(`${source} ${target}`);
      expect(existsSync(path.join(ROOT, source!))).toBe(true);
    }
    expect(workdir).toBe('/app');
    // dist/app.js looks for the views and public files one level up, where the image puts them.
    const compiledApp = readFileSync(path.join(ROOT, 'dist', 'app.js'), 'utf8');
    expect(compiledApp).toMatch(/\.join\(__dirname, '\.\.', 'views'\)/);
    expect(compiledApp).toMatch(/\.join\(__dirname, '\.\.', 'public'\)/);
  });

  it('copies into the build stage everything the build reads', () => {
    const copied = build!.instructions.filter(([op]) => op === 'COPY').flatMap(([, args]) => args.split(' ').slice(0, -1));
    expect(copied.sort()).toEqual(['package-lock.json', 'package.json', 'scripts', 'src', 'tsconfig.build.json', 'tsconfig.json']);
  });
});

describe('docker-compose.yml', () => {
  it("builds the app from this Dockerfile, and its Prometheus profile scrapes the app's METRICS_PORT", () => {
    const compose = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(compose).toMatch(/^ {2}app:\n {4}build: \.$/m);
    const metricsPort = /^ {6}METRICS_PORT: (\d+)$/m.exec(compose)?.[1];
    expect(metricsPort).toBeDefined();
    const prometheus = readFileSync(path.join(ROOT, 'docker', 'prometheus.yml'), 'utf8');
    expect(prometheus).toContain(`targets: ["app:${metricsPort}"]`);
    expect(compose).toContain('./docker/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });
});

describe('docker-compose.sentinel.yml', () => {
  it('points the app at its three sentinels by the name they monitor, and at no other Redis', () => {
    const compose = readFileSync(path.join(ROOT, 'docker-compose.sentinel.yml'), 'utf8');
    const sentinels = /^ {6}REDIS_SENTINELS: (.+)$/m.exec(compose)?.[1]?.split(',');
    expect(sentinels).toEqual(['sentinel-1:26379', 'sentinel-2:26379', 'sentinel-3:26379']);
    for (const service of sentinels!.map((s) => s.split(':')[0])) expect(compose).toMatch(new RegExp(`^ {2}${service}: \\*sentinel$`, 'm'));
    const name = /^ {6}REDIS_SENTINEL_NAME: (\S+)$/m.exec(compose)?.[1];
    expect(compose).toContain(`sentinel monitor ${name} redis-primary 6379 2`);
    expect(compose).toContain('port 26379');
    expect(compose).toMatch(/^ {6}REDIS_URL: ""/m); // .env's REDIS_URL would be a second mode
    expect(compose).toContain('"--replicaof", "redis-primary", "6379"');
  });
});

describe('node dist/server.js', () => {
  it('starts in sandbox mode on HOST with metrics on METRICS_PORT, then on SIGTERM finishes the request in flight, stops and exits 0', async () => {
    const [port, emulatorPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const clean = cleanEnv();
    const child = spawn(process.execPath, [SERVER], {
      cwd: runDir,
      env: { ...clean, PORT: String(port), HOST: '127.0.0.1', EMULATOR_PORT: String(emulatorPort), METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const logged = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => (pattern.test(log) ? resolve() : undefined);
        child.stdout.on('data', (chunk: Buffer) => ((log += chunk.toString()), check()));
        child.once('exit', () => reject(new Error(`exited before ${pattern}: ${log}`)));
        check();
      });
    await logged(/sandbox mode: Cronofy emulator on http:\/\/localhost:\d+/);
    expect(log).toContain(`listening on 127.0.0.1:${port}`); // HOST is the interface bound

    // The compiled app finds its views and the emulator its own: both pages render.
    const home = await fetch(`http://127.0.0.1:${port}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Connect a calendar');
    const css = await fetch(`http://127.0.0.1:${emulatorPort}/__assets/emulator.css`);
    expect(css.status).toBe(200);

    // METRICS_PORT: the metrics listener, on loopback, with Node's process metrics and the app's.
    expect(log).toContain(`Metrics on http://127.0.0.1:${metricsPort}/metrics`);
    await fetch(`http://127.0.0.1:${port}/connect/individual`, { redirect: 'manual' });
    const scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(scraped).toContain('cronofy_connect_flows_total{kind="individual",outcome="started"} 1');
    expect(scraped).toMatch(/^process_cpu_user_seconds_total \S+$/m);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);

    // A request whose headers are still arriving when SIGTERM comes: in flight, not idle.
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost:${port}\r\n`);
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    child.kill('SIGTERM');
    await logged(/SIGTERM: finishing in-flight requests/);
    socket.write('\r\n');
    const [code] = (await once(child, 'exit')) as [number];
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toContain('{"status":"ok"}');
    expect(code).toBe(0);
    socket.destroy();
  }, PROCESS_TIMEOUT_MS);

  const real = { CRONOFY_CLIENT_ID: 'id', CRONOFY_CLIENT_SECRET: 'secret', REDIS_URL: 'redis://127.0.0.1:1', SESSION_SECRET: 'x'.repeat(32) };
  it.each([
    ['real credentials and no SESSION_SECRET (NODE_ENV unset)', { ...real, SESSION_SECRET: '' }, /SESSION_SECRET is required/],
    ['NODE_ENV=production and an http APP_BASE_URL on a public host', { ...real, NODE_ENV: 'production', APP_BASE_URL: 'http://calendar.example.com' }, /APP_BASE_URL must be https:\/\//],
    ['a hop count in TRUST_PROXY', { ...real, TRUST_PROXY: '1' }, /TRUST_PROXY must list the proxy's addresses/],
  ])('refuses to start with %s, naming the variable', async (_name, env, message) => {
    const child = spawn(process.execPath, [SERVER], {
      cwd: runDir,
      env: { ...cleanEnv(), PORT: String(await freePort()), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
  }, PROCESS_TIMEOUT_MS);
});
