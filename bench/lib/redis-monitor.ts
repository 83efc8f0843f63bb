// Counts the Redis commands a few requests cause, with MONITOR on the benchmark's database only
// (the server is shared; other databases are ignored). Commands run inside Lua scripts are not
// counted: they cost no extra round trip. MONITOR slows Redis down, so it is only used for short
// sequential checks, never during a measured run.
import Redis from 'ioredis';
import { BENCH_REDIS_URL } from './redis-tools';

export async function commandsDuring(action: () => Promise<void>): Promise<Record<string, number>> {
  const db = new URL(BENCH_REDIS_URL).pathname.slice(1) || '0';
  // A connection of its own in monitor mode (what client.monitor() makes), with its error listener
  // on from the start: on the shared server other databases' commands stream in at once, and a
  // line that arrives before ioredis has switched the connection to monitoring is reported as an
  // error ("command queue state error"). Those lines come before the action and are not counted.
  const monitor = new Redis(BENCH_REDIS_URL, { monitor: true, maxRetriesPerRequest: 1 });
  monitor.on('error', () => undefined);
  await new Promise<void>((resolve) => monitor.once('monitoring', () => resolve()));
  const counts: Record<string, number> = {};
  monitor.on('monitor', (_time: string, args: string[], source: string, database: string) => {
    if (database !== db || source === 'lua') return;
    const name = (args[0] ?? '?').toUpperCase();
    counts[name] = (counts[name] ?? 0) + 1;
  });
  try {
    await action();
    // MONITOR output trails the replies a little: let it catch up.
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    monitor.disconnect();
  }
  return counts;
}

/** "GET 2, EXPIRE 1" per request. */
export function perRequest(counts: Record<string, number>, requests: number): { total: number; text: string } {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((sum, [, n]) => sum + n, 0) / requests;
  return { total, text: entries.map(([name, n]) => `${name} ${+(n / requests).toFixed(2)}`).join(', ') };
}
