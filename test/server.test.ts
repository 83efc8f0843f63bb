// src/server.ts as a process: sandbox start-up and graceful shutdown on SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort } from './support/ports';

const SERVER = path.join(__dirname, '..', 'src', 'server.ts');
const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(CRONOFY_|EMULATOR_|APP_BASE_URL|PORT|HOST|NODE_ENV|SESSION_SECRET|TOKEN_|TRUST_PROXY|INSPECTOR|REDIS_URL)/.test(k)));

describe('the server process', () => {
  it('starts in sandbox mode on HOST, then on SIGTERM finishes the request in flight, stops and exits 0', async () => {
    const [port, emulatorPort] = [await freePort(), await freePort()];
    const clean = cleanEnv();
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
      cwd: path.join(__dirname, '..'),
      env: { ...clean, PORT: String(port), HOST: '127.0.0.1', EMULATOR_PORT: String(emulatorPort), LOG_LEVEL: 'info' },
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
  });

  const real = { CRONOFY_CLIENT_ID: 'id', CRONOFY_CLIENT_SECRET: 'secret', REDIS_URL: 'redis://127.0.0.1:1', SESSION_SECRET: 'x'.repeat(32) };
  it.each([
    ['real credentials and no SESSION_SECRET (NODE_ENV unset)', { ...real, SESSION_SECRET: '' }, /SESSION_SECRET is required/],
    ['NODE_ENV=production and an http APP_BASE_URL on a public host', { ...real, NODE_ENV: 'production', APP_BASE_URL: 'http://calendar.example.com' }, /APP_BASE_URL must be https:\/\//],
    ['a hop count in TRUST_PROXY', { ...real, TRUST_PROXY: '1' }, /TRUST_PROXY must list the proxy's addresses/],
  ])('refuses to start with %s, naming the variable', async (_name, env, message) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
      cwd: path.join(__dirname, '..'),
      env: { ...cleanEnv(), PORT: String(await freePort()), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
  });
});
