// `npm run emulator`: the standalone process, configured by the environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { freePort } from '../support/ports';

const MAIN = path.join(__dirname, '..', '..', 'src', 'emulator', 'main.ts');

function run(env: Record<string, string>): ChildProcess {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('EMULATOR_')));
  return spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function output(child: ChildProcess, until: RegExp): Promise<string> {
  let text = '';
  const done = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (until.test(text)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => resolve());
  });
  await done;
  return text;
}

describe('npm run emulator', () => {
  it('starts with sandbox defaults, logs one line saying where it listens, and accepts the demo callbacks', async () => {
    const port = await freePort();
    const child = run({ EMULATOR_PORT: String(port) });
    try {
      const log = await output(child, /listening on/);
      expect(log.trim().split('\n')).toHaveLength(1);
      expect(log).toContain(`Cronofy emulator listening on http://localhost:${port}`);
      const query = new URLSearchParams({ response_type: 'code', client_id: 'sandbox_client_id', redirect_uri: 'http://localhost:3000/oauth/callback', scope: 'read_events' });
      expect((await fetch(`http://127.0.0.1:${port}/oauth/authorize?${query.toString()}`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('takes an Internal Application key from EMULATOR_INTERNAL_APPLICATION_KEY, and none by default', async () => {
    const port = await freePort();
    const child = run({ EMULATOR_PORT: String(port), EMULATOR_INTERNAL_APPLICATION_KEY: 'internal-key-from-env' });
    try {
      await output(child, /listening on/);
      const members = (token: string) => fetch(`http://127.0.0.1:${port}/v1/organizational_unit_members`, { headers: { authorization: `Bearer ${token}` } });
      expect((await members('internal-key-from-env')).status).toBe(200);
      expect((await members('sandbox_client_secret_not_for_production')).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('exits 1 naming each bad variable', async () => {
    const child = run({ EMULATOR_PORT: 'eighty', EMULATOR_REDIRECT_URIS: 'not a url', EMULATOR_ACCESS_TOKEN_TTL: '-5', EMULATOR_RATE_LIMIT: 'sometimes' });
    const [log, [code]] = await Promise.all([output(child, /$^/), once(child, 'exit')]);
    expect(code).toBe(1);
    expect(log).toContain('EMULATOR_PORT');
    expect(log).toContain('EMULATOR_REDIRECT_URIS');
    expect(log).toContain('EMULATOR_ACCESS_TOKEN_TTL');
    expect(log).toContain('EMULATOR_RATE_LIMIT');
  });
});
