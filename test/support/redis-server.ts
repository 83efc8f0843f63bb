// A redis-server of the test's own, on its own port, that the test can stop and start again, or
// freeze (SIGSTOP: connections stay open and nothing answers, a hung server) and thaw.
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './ports';

export interface OwnRedis {
  url: string;
  port: number;
  /** Kills it (SIGKILL); does nothing when it is not running. */
  stop(): Promise<void>;
  /** Starts it again on the same port; does nothing while it runs. */
  start(): Promise<void>;
  /** Stops the process where it stands: it keeps its connections and answers nothing. */
  freeze(): void;
  /** Lets a frozen process run on; does nothing when it is not frozen. */
  thaw(): void;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    if (child && child.exitCode === null && child.signalCode === null) return;
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const started = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      started.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      started.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
      started.once('error', reject);
    });
  }

  const running = (): ChildProcess | undefined => (child && child.exitCode === null && child.signalCode === null ? child : undefined);

  async function stop(): Promise<void> {
    const process = running();
    if (!process) return;
    await new Promise<void>((resolve) => {
      process.once('exit', () => resolve());
      process.kill('SIGKILL');
    });
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    freeze: () => void running()?.kill('SIGSTOP'),
    thaw: () => void running()?.kill('SIGCONT'),
  };
}
