// src/server.ts as a process: sandbox start-up and graceful shutdown on SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort } from './support/ports';

describe('the server process', () => {
  it('starts in sandbox mode, then on SIGTERM finishes the request in flight, stops and exits 0', async () => {
    const [port, emulatorPort] = [await freePort(), await freePort()];
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(CRONOFY_|EMULATOR_|APP_BASE_URL|PORT|NODE_ENV|SESSION_SECRET|TOKEN_)/.test(k)));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'src', 'server.ts')], {
      cwd: path.join(__dirname, '..'),
      env: { ...clean, PORT: String(port), EMULATOR_PORT: String(emulatorPort), LOG_LEVEL: 'info' },
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
});
