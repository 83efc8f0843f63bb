// Reads a V8 CPU profile (`node --cpu-prof`, a .cpuprofile file) and says where the app's CPU time
// went, by layer: each sample's frame is put in the layer of the package or source file its code
// comes from (self time). A V8 builtin or native frame (JSON.stringify, a Map lookup: no URL) is
// counted in the layer of the JavaScript that called it, so "logging" includes the JSON its lines
// cost. Idle time is left out: shares are of the time the process was busy.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The app's layers, each named for what it does; a package not listed counts as "other packages". */
const PACKAGE_LAYERS: Record<string, string[]> = {
  'request logging (pino)': ['pino', 'pino-std-serializers', 'sonic-boom', 'quick-format-unescaped', 'safe-stable-stringify', 'on-exit-leak-free', 'atomic-sleep'],
  'security headers (helmet)': ['helmet'],
  'sessions (express-session, connect-redis)': ['express-session', 'connect-redis', 'cookie', 'cookie-signature', 'uid-safe', 'random-bytes', 'on-headers'],
  'Redis client (ioredis)': ['ioredis', '@ioredis', 'redis-parser', 'redis-errors', 'denque', 'standard-as-callback', 'cluster-key-slot', 'lodash.defaults', 'lodash.isarguments'],
  'templates (EJS)': ['ejs'],
  'Express 5 and its router': [
    'express', 'router', 'path-to-regexp', 'finalhandler', 'parseurl', 'encodeurl', 'escape-html', 'qs', 'depd', 'debug', 'ms', 'send', 'serve-static',
    'mime-types', 'mime-db', 'content-type', 'content-disposition', 'type-is', 'media-typer', 'accepts', 'negotiator', 'vary', 'fresh', 'range-parser',
    'statuses', 'http-errors', 'setprototypeof', 'toidentifier', 'inherits', 'merge-descriptors', 'etag', 'proxy-addr', 'forwarded', 'ipaddr.js',
    'on-finished', 'ee-first', 'safe-buffer', 'body-parser', 'raw-body', 'bytes', 'iconv-lite', 'unpipe', 'is-promise', 'once', 'wrappy',
  ],
  'rate limits (express-rate-limit)': ['express-rate-limit', 'rate-limit-redis'],
  'CSRF (csrf-sync)': ['csrf-sync'],
  'metrics (prom-client)': ['prom-client', 'tdigest', 'bintrees'],
  'HTTP client to Cronofy (axios)': ['axios', 'follow-redirects', 'form-data', 'proxy-from-env', 'combined-stream', 'asynckit', 'delayed-stream'],
};

/** The app's own compiled files (dist/<dir>/...), by directory. */
const APP_LAYERS: Record<string, string> = {
  'web/logging': 'request logging (pino)',
  'web/security': 'security headers (helmet)',
  session: 'sessions (express-session, connect-redis)',
  store: 'Redis client (ioredis)',
  cronofy: 'HTTP client to Cronofy (axios)',
  metrics: 'metrics (prom-client)',
  'web/rate-limit': 'rate limits (express-rate-limit)',
};

const layerOfPackage = new Map<string, string>(Object.entries(PACKAGE_LAYERS).flatMap(([layer, pkgs]) => pkgs.map((pkg): [string, string] => [pkg, layer])));

function layerOfUrl(url: string): string | null {
  if (url === '') return null;
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inModules) return layerOfPackage.get(inModules[1] as string) ?? 'other packages';
  if (url.startsWith('node:')) {
    const name = url.slice(5);
    if (/async_hooks|async_local_storage|async_context_frame/.test(name)) return 'AsyncLocalStorage (node:async_hooks)';
    if (/^(_http|http|net|internal\/(http|stream|streams|net|dns|js_stream)|stream|internal\/timers|timers|events|internal\/process\/task_queues)/.test(name)) return 'Node http server, sockets, streams, events, timers';
    if (/crypto/.test(name)) return 'Node crypto (session ids, signatures)';
    return 'Node (other)';
  }
  const inDist = /\/dist\/(.+)\.js$/.exec(url);
  if (inDist) {
    const file = inDist[1] as string;
    const match = Object.keys(APP_LAYERS).find((prefix) => file === prefix || file.startsWith(`${prefix}/`));
    return match ? (APP_LAYERS[match] as string) : 'the app\'s own code (dist/)';
  }
  // EJS names a compiled template by its file, in quotes.
  if (/\.ejs"?$/.test(url)) return 'templates (EJS)';
  return 'other';
}

export interface Breakdown {
  /** Milliseconds the process was busy (samples not idle) over the profile. */
  busyMs: number;
  /** Milliseconds over the whole profile. */
  totalMs: number;
  /** Layer → share of busy time (0..1), largest first. */
  layers: [string, number][];
}

/** Microseconds on the clock CPU profiles use (the monotonic clock of process.hrtime). */
export const profileClockUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** `window`: only samples taken between these profileClockUs() readings (the load, not start-up). */
export function breakdown(file: string, window?: { fromUs: number; toUs: number }): Breakdown {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const layerCache = new Map<number, string>();
  const layerOf = (id: number): string => {
    const cached = layerCache.get(id);
    if (cached) return cached;
    const node = byId.get(id);
    const name = node?.callFrame.functionName ?? '';
    let layer: string;
    if (name === '(garbage collector)') layer = 'garbage collection';
    else if (name === '(idle)') layer = 'idle';
    else if (name === '(program)') layer = 'V8 and Node outside JavaScript ((program))';
    else if (name === '(root)' || node === undefined) layer = 'other';
    else {
      const own = layerOfUrl(node.callFrame.url);
      const up = parent.get(id);
      layer = own ?? (up !== undefined ? layerOf(up) : 'other');
    }
    layerCache.set(id, layer);
    return layer;
  };
  const time = new Map<string, number>();
  let totalUs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    totalUs += delta;
    const layer = layerOf(id);
    time.set(layer, (time.get(layer) ?? 0) + delta);
  });
  const idleUs = time.get('idle') ?? 0;
  time.delete('idle');
  const busyUs = totalUs - idleUs;
  return {
    busyMs: busyUs / 1000,
    totalMs: totalUs / 1000,
    layers: [...time.entries()].map(([layer, us]): [string, number] => [layer, us / busyUs]).sort((a, b) => b[1] - a[1]),
  };
}
