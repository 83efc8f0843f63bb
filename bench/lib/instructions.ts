// Instructions per request, counted by valgrind's callgrind, whatever else the machine is doing
// (throughput ratios on a shared VM move by ±0.05 from run to run). The same build usually counts
// within about half a percent from run to run, not always (B1 once 1,404 and 1,643 thousand a page:
// decision 013): a difference of a few percent needs repeating. It counts user-space instructions only, in
// every thread (JIT compiler and GC included): the kernel's share of a request (socket and log
// writes) is not in it, and an instruction is not a fixed time. So it decides between two builds of
// the app; the throughput runs still give the targets.
// The app and B1 run under `valgrind --tool=callgrind` (about 50 times slower); after a warm-up
// (the JIT's tiers settle) the counters are zeroed, a fixed number of requests is sent, and the
// counters are dumped (callgrind_control).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fixedCount } from './load';
import type { Child } from './processes';

/** Runs node under callgrind, writing `<dir>/<pid>.out[.N]`. */
export const callgrindLauncher = (dir: string): string[] => ['valgrind', '--tool=callgrind', `--callgrind-out-file=${path.join(dir, '%p.out')}`];

export function valgrindAvailable(): boolean {
  return spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0;
}

function control(child: Child, action: '-z' | '-d'): void {
  // callgrind_control finds the process by a pipe named after its pid and its HOST variable.
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (child.env.HOST === undefined) delete env.HOST;
  else env.HOST = child.env.HOST;
  const result = spawnSync('callgrind_control', [action, String(child.pid)], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`callgrind_control ${action} ${child.pid}: ${result.stderr || result.stdout}`);
}

/** Instructions counted in the newest dump of `pid`. */
function lastDump(dir: string, pid: number): number {
  const parts = readdirSync(dir)
    .filter((name) => name.startsWith(`${pid}.out.`))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  const last = parts.at(-1);
  const total = last ? /^summary: (\d+)$/m.exec(readFileSync(path.join(dir, last), 'utf8'))?.[1] : undefined;
  if (!total) throw new Error(`callgrind wrote no dump for pid ${pid} in ${dir}`);
  return Number(total);
}

export interface Counted {
  requests: number;
  failures: number;
  /** Instructions per request. */
  perRequest: number;
}

/** Warm-up, zero, `requests` requests on 4 connections, dump: instructions per request. */
export async function countInstructions(dir: string, child: Child, url: string, cookie: string, warmup: number, requests: number): Promise<Counted> {
  const headers = { cookie };
  const warm = await fixedCount(url, 4, warmup, headers);
  control(child, '-z');
  const measured = await fixedCount(url, 4, requests, headers);
  control(child, '-d');
  return { requests: measured.requests, failures: warm.failures + measured.failures, perRequest: lastDump(dir, child.pid) / Math.max(1, measured.requests) };
}
