// Structured logs that never hold a secret:
// - request lines carry method, path and a query with code/state/token values replaced;
// - no request or response headers (cookies, Authorization, Set-Cookie) are logged at all;
// - errors are reduced to name, message, code and status: never an axios error's config;
// - personal data is not logged either: an `email` query value and the member sub in
//   /organization/members/<sub> are replaced (redactPath).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';
import pinoHttp from 'pino-http';
import type { RequestHandler } from 'express';

const PERSONAL_PARAMS = /^(email)$/i;
const SECRET_PARAMS = /^(code|state|token|access_token|refresh_token|client_secret|id_token|_csrf|session|sid)$/i;

/**
 * Without a destination, lines go to stdout asynchronously: pino buffers what is logged while a
 * write is in flight and writes it in one go, instead of one blocking write per line (decision
 * 013). pino flushes the buffer synchronously when the process exits, process.exit() included.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, serializers: { err: safeError } }, destination ?? pino.destination({ dest: 1, sync: false }));
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
 * One line per request, when its answer is sent: `req` (id, method, redacted URL), `res` (status)
 * and `responseTime`. Per request pino-http makes one child logger, bound to `req` (req.log, which
 * route code can use); `wrapSerializers: false` hands our serializers the raw request and response
 * instead of pino's standard copies of them (headers included) that they would throw away.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: () => randomUUID(),
    wrapSerializers: false,
    serializers: {
      req: (req: IncomingMessage & { id?: string; originalUrl?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.originalUrl ?? req.url ?? ''),
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: safeError,
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
  }) as unknown as RequestHandler;
}
