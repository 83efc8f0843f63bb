// How busy the machine was with things that are not this benchmark: the CPU time every other
// process used during a scenario (from /proc). On a shared 2-CPU VM another job (a test run, say)
// can take a whole CPU and wreck tail latencies; the report says so instead of leaving it to be
// guessed. Linux only; empty elsewhere.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ on Linux

type Snapshot = { at: number; ticks: Map<number, number> };

function processTicks(pid: number): number | null {
  try {
    // After the ")" that closes the command name, utime and stime are the 12th and 13th fields.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 80);
  } catch {
    return `pid ${pid}`;
  }
}

export function snapshot(): Snapshot {
  const ticks = new Map<number, number>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const value = processTicks(Number(entry));
      if (value !== null) ticks.set(Number(entry), value);
    }
  } catch {
    // no /proc: nothing to report
  }
  return { at: performance.now(), ticks };
}

export interface ForeignLoad {
  /** CPUs' worth of time used by other processes (0.5 = half a CPU on average). */
  cpus: number;
  /** The busiest of them, e.g. "0.78 CPU: node …/jest test/…". */
  top: string[];
}

/** Other processes' CPU use between two snapshots; `ours` are this benchmark's pids (Redis included). */
export function foreignLoad(from: Snapshot, to: Snapshot, ours: number[]): ForeignLoad {
  const seconds = (to.at - from.at) / 1000;
  const skip = new Set(ours);
  const used: { pid: number; cpus: number }[] = [];
  for (const [pid, ticks] of to.ticks) {
    if (skip.has(pid)) continue;
    const cpus = (ticks - (from.ticks.get(pid) ?? 0)) / TICKS_PER_S / seconds;
    if (cpus > 0) used.push({ pid, cpus });
  }
  used.sort((a, b) => b.cpus - a.cpus);
  return {
    cpus: used.reduce((sum, u) => sum + u.cpus, 0),
    top: used.filter((u) => u.cpus >= 0.05).slice(0, 3).map((u) => `${u.cpus.toFixed(2)} CPU: ${commandOf(u.pid)}`),
  };
}

/** Starts measuring the CPU use of `pids`; the returned function gives each one's CPUs' worth since. */
export function cpuMeter(pids: Record<string, number>): () => Record<string, number> {
  const start = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, processTicks(pid) ?? 0]));
  return () => {
    const seconds = (performance.now() - start) / 1000;
    return Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => [name, Math.round((((processTicks(pid) ?? 0) - (before[name] ?? 0)) / TICKS_PER_S / seconds) * 100) / 100]),
    );
  };
}
