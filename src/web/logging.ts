// Structured logs that never hold a secret:
// - request lines carry method, path and a query with code/state/token values replaced;
// - no request or response headers (cookies, Authorization, Set-Cookie) are logged at all;
// - errors are reduced to name, message, code and status: never an axios error's config;
// - personal data is not logged either: an `email` query value and the member sub in
//   /organization/members/<sub> are replaced (redactPath).
import { randomBytes } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { RequestHandler } from 'express';

const PERSONAL_PARAMS = /^(email)$/i;
const SECRET_PARAMS = /^(code|state|token|access_token|refresh_token|client_secret|id_token|_csrf|session|sid)$/i;

/**
 * Without a destination, lines go to stdout asynchronously and in batches: pino (sonic-boom) keeps
 * lines until 4 KB have gathered or 250 ms have passed, then writes them in one go, instead of one
 * write per line (decision 013: about 2 % of a page's instructions, and the system calls). pino
 * flushes the buffer synchronously when the process exits, process.exit() included; a SIGKILL loses
 * at most the last 250 ms of lines.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, serializers: { err: safeError } }, destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 250 }));
}

/** The URL with secret-bearing query values masked; anything unparsable becomes its path only. */
export function redactUrl(rawUrl: string): string {
  // An Enterprise Connect callback_url and a push channel's callback_url carry their key in the path.
  const url = rawUrl
    .replace(/^\/enterprise\/callback\/[^/?]+/, '/enterprise/callback/[redacted]')
    .replace(/^\/push\/[^/?]+/, '/push/[redacted]');
  const at = url.indexOf('?');
  if (at === -1) return redactPath(url);
  const params = new URLSearchParams(url.slice(at + 1));
  for (const key of new Set(params.keys())) {
    if (SECRET_PARAMS.test(key) || PERSONAL_PARAMS.test(key)) params.set(key, '[redacted]');
    else if (key === 'error_description') params.set(key, '[omitted]');
  }
  return `${redactPath(url.slice(0, at))}?${params.toString()}`;
}

/** A path without the member sub of /organization/members/<sub>. */
export function redactPath(path: string): string {
  return path.replace(/^(\/organization\/members\/)[^/?]+/i, '$1[member]');
}

export function safeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) {
    if (typeof err !== 'object' || err === null) return { message: String(err).slice(0, 200) };
    // Already reduced (or an error-like object): keep only its plain, short fields.
    const plain = err as Record<string, unknown>;
    const keep = (key: string) => (typeof plain[key] === 'string' || typeof plain[key] === 'number' ? String(plain[key]).slice(0, 500) : undefined);
    return { type: keep('type') ?? keep('name'), message: keep('message'), code: keep('code'), status: keep('status') };
  }
  const e = err as Error & { code?: unknown; status?: unknown; details?: { status?: number; endpoint?: string; error?: string } };
  return {
    type: e.name,
    message: e.message.slice(0, 500),
    code: typeof e.code === 'string' ? e.code : undefined,
    status: typeof e.status === 'number' ? e.status : e.details?.status,
    endpoint: e.details?.endpoint,
    cronofy_error: e.details?.error,
    // A StorageError's cause is the Redis client's own error ("Command timed out"): name and message only.
    cause: e.cause instanceof Error ? `${e.cause.name}: ${e.cause.message.slice(0, 200)}` : undefined,
  };
}

/**
 * One line per request, when it ends: `req` (id, method, redacted URL), `res` (status) and
 * `responseTime` in ms; level by status (5xx error, 4xx warn), "request aborted" at warn when the
 * client went away first, except from an event stream (live updates), which ends only that way:
 * "stream closed" at info. Written straight to the app's logger: no child logger per request (pino
 * serialises a child's bindings when it is made, whether or not anything logs through it; the
 * app logs nothing else per request), and `res` 'close', which Node emits once at the end of every
 * response, finished or not, is the only listener. Decision 013 has the numbers.
 */
export function requestLogger(logger: Logger): RequestHandler {
  const instance = randomBytes(4).toString('hex'); // ids unique across instances, cheap within one
  let sequence = 0;
  return (req, res, next) => {
    const started = performance.now();
    const id = `${instance}-${(++sequence).toString(36)}`;
    res.once('close', () => {
      const finished = res.writableFinished;
      const status = res.statusCode;
      const line = {
        req: { id, method: req.method, url: redactUrl(req.originalUrl) },
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - started),
      };
      if (status >= 500) logger.error(line, 'request errored');
      else if (!finished && String(res.getHeader('content-type')).startsWith('text/event-stream')) logger.info(line, 'stream closed');
      else if (!finished) logger.warn(line, 'request aborted');
      else if (status >= 400) logger.warn(line, 'request completed');
      else logger.info(line, 'request completed');
    });
    next();
  };
}
