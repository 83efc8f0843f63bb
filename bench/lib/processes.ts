// Child processes for the benchmark: each server runs in its own Node process (own event loop),
// compiled JavaScript run by plain `node` (the app from dist/, as `npm start` runs it), optionally
// pinned to a CPU with taskset. Every child is remembered so that it is stopped on normal exit, on
// error and on SIGINT/SIGTERM.
import { type ChildProcess, type StdioOptions, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface Child {
  name: string;
  pid: number;
  /** The environment it was started with (nothing else). */
  env: Record<string, string>;
  cpu: string | null;
  /** Last few KB of stderr, for error messages. */
  stderrTail(): string;
  /** stdout lines logged at pino level error/fatal (50/60): how many, and the first few. */
  errorLog(): { count: number; first: string[] };
  exited(): boolean;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
const handles = new Set<Child>();

let tasksetChecked: boolean | undefined;
export function tasksetAvailable(): boolean {
  tasksetChecked ??= spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
  return tasksetChecked;
}

/** Pins this process (all its threads) to `cpu`; false when taskset is missing or refuses. */
export function pinSelf(cpu: string): boolean {
  if (!tasksetAvailable()) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', cpu, String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/** The CPU list a process may run on, as taskset reports it ("0", "0,1"...), or null. */
export function affinityOf(pid: number): string | null {
  if (!tasksetAvailable()) return null;
  const out = spawnSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' });
  return out.status === 0 ? (out.stdout.split(':').pop()?.trim() ?? null) : null;
}

/** Where the children's stdout goes: BENCH_CHILD_STDOUT (kept), or a temporary directory removed at the end. */
const logDir = process.env.BENCH_CHILD_STDOUT ?? mkdtempSync(path.join(os.tmpdir(), 'bench-logs-'));
const keepLogs = process.env.BENCH_CHILD_STDOUT !== undefined;

/** Counts pino error/fatal lines (level 50/60) in a log file, reading only what was added since the last call. */
function errorScanner(file: string): () => { count: number; first: string[] } {
  const errors = { count: 0, first: [] as string[] };
  let offset = 0;
  let partial = '';
  const chunk = Buffer.alloc(1 << 20);
  return () => {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return { ...errors, first: [...errors.first] };
    }
    try {
      for (let read = readSync(fd, chunk, 0, chunk.length, offset); read > 0; read = readSync(fd, chunk, 0, chunk.length, offset)) {
        offset += read;
        const text = partial + chunk.toString('utf8', 0, read);
        const end = text.lastIndexOf('\n');
        partial = text.slice(end + 1);
        if (!text.includes('"level":50') && !text.includes('"level":60')) continue;
        for (const line of text.slice(0, end).split('\n')) {
          if (!line.includes('"level":50') && !line.includes('"level":60')) continue;
          errors.count += 1;
          if (errors.first.length < 5) errors.first.push(line.slice(0, 1000));
        }
      }
    } finally {
      closeSync(fd);
    }
    return { count: errors.count, first: [...errors.first] };
  };
}

/**
 * Starts `node <script>` (taskset execs node, so the pid is node's own, which is what
 * /proc/<pid>/status must be read from). stdout (a pino line per request for the app) goes to a
 * file, as a log file would: a pipe read by this process (the load generator) would make the
 * app's log writes wait on the load generator. errorLog() scans the file for error-level lines.
 */
export function startNode(name: string, script: string, env: Record<string, string>, cpu: string | null, extraNodeArgs: string[] = [], launcher: string[] = []): Child {
  // `[taskset -c N] [launcher...] node <node args> <script>`: a launcher (valgrind, for the instruction counts) runs node itself.
  const [program = process.execPath, ...args] = [...launcher, process.execPath, ...extraNodeArgs, path.resolve(ROOT, script)];
  const pinned = cpu !== null && tasksetAvailable();
  // A clean environment: nothing from the caller's shell (REDIS_URL, TRUST_PROXY...) leaks into
  // what is measured.
  const fullEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
  const logFile = path.join(logDir, `${name}-${Date.now()}.log`);
  const stdout = openSync(logFile, 'w');
  const options = { cwd: ROOT, env: fullEnv, stdio: ['ignore', stdout, 'pipe'] as StdioOptions };
  const child = pinned ? spawn('taskset', ['-c', cpu, program, ...args], options) : spawn(program, args, options);
  closeSync(stdout);
  running.add(child);
  let tail = '';
  let done = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  });
  const errorLog = errorScanner(logFile);
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      done = true;
      running.delete(child);
      resolve();
    }),
  );
  child.once('error', (err) => {
    tail += `\nspawn error: ${err.message}`;
  });
  const handle: Child = {
    name,
    pid: child.pid ?? -1,
    env: fullEnv,
    cpu: pinned ? cpu : null,
    stderrTail: () => tail,
    errorLog,
    exited: () => done,
    async stop() {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
      errorLog(); // the last lines, written while stopping
      if (!keepLogs) rmSync(logFile, { force: true });
    },
  };
  handles.add(handle);
  return handle;
}

/** Stops every child still running, gracefully (SIGTERM, then SIGKILL after 5 s). */
export async function stopAll(): Promise<void> {
  await Promise.all([...handles].map((handle) => handle.stop()));
  handles.clear();
}

/** Last resort (process 'exit', SIGINT): synchronous, so it also works while the loop is dying. */
export function killAllNow(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  if (!keepLogs) rmSync(logDir, { recursive: true, force: true });
}

/** Resident set size in KB from /proc (VmRSS), or null off Linux. */
export function rssKb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Polls `url` until it answers 200; fails early with the child's stderr when it dies. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited()) throw new Error(`${child.name} exited during start-up:\n${child.stderrTail()}`);
    try {
      const answer = await fetch(url);
      if (answer.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms:\n${child.stderrTail()}`);
}
