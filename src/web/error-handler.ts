// The one error handler: every failure becomes a page saying what happened and what to do next.
// No stack trace or raw upstream text ever reaches the browser; the log gets a scrubbed summary.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { CronofyError, ReconnectRequiredError } from '../cronofy/errors';
import { MAX_HOLD_SECONDS } from '../cronofy/quota-hold';
import { PageError, startAgain } from './errors';
import { redactPath } from './logging';

export const notFound: RequestHandler = (req, _res, next) => {
  next(new PageError(404, 'Page not found', `There is nothing at ${req.path.slice(0, 100)}.`));
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let lost: 'individual' | 'organization' = 'individual';
    if (err instanceof ReconnectRequiredError && req.session?.connections) {
      const { connections } = req.session;
      for (const kind of ['individual', 'organization'] as const) {
        if (connections[kind] === err.connectionId) {
          delete connections[kind];
          lost = kind;
        }
      }
    }
    const page = toPage(err, lost);
    if (page.status >= 500) logger.error({ err, path: redactPath(req.path) }, 'request failed');
    if (res.headersSent) return;
    res.status(page.status).set(page.headers).set('Cache-Control', 'no-store');
    res.render('error', { title: page.title, message: page.message, next: page.next, status: page.status });
  };
}

function toPage(err: unknown, lost: 'individual' | 'organization'): PageError {
  if (err instanceof PageError) return err;
  if (err instanceof ReconnectRequiredError) {
    return new PageError(
      401,
      lost === 'organization' ? 'Please connect your organization again' : 'Please connect your calendar again',
      `${err.message} The app has forgotten this connection; connecting again takes a few seconds.`,
      [startAgain(lost), { href: '/', label: 'Back to the start' }],
    );
  }
  if (err instanceof CronofyError) return cronofyPage(err);
  if (isStorageError(err)) {
    return new PageError(
      503,
      'Session storage is unavailable',
      'The app cannot reach its session store (Redis) right now, so it cannot safely continue. Nothing was changed. Try again in a moment.',
      [{ href: '/', label: 'Try again' }],
      { 'Retry-After': '5' },
    );
  }
  const status = httpStatusOf(err);
  if (status === 413) return new PageError(413, 'That was too large', 'The request was larger than this app accepts. Nothing was changed.');
  if (status !== undefined && status >= 400 && status < 500) {
    return new PageError(400, 'That request could not be understood', 'The request was malformed. Nothing was changed.');
  }
  return new PageError(500, 'Something went wrong', 'The app hit an unexpected problem. Nothing was changed. Try again; if it keeps happening, check the server log.');
}

function cronofyPage(err: CronofyError): PageError {
  switch (err.code) {
    case 'forbidden':
      return new PageError(
        403,
        'Cronofy refused this request',
        'The connection is missing a permission this page needs (a scope, or for another person, membership of the organization). Connect again granting the permission, or ask the account owner.',
      );
    case 'rate_limited':
      return new PageError(
        429,
        'Too many requests to Cronofy',
        'Cronofy is limiting how fast this app can call it. Wait a few seconds and try again.',
        [{ href: '/', label: 'Back to the start' }],
        { 'Retry-After': String(boundedRetryAfter(err.details.retryAfter)) },
      );
    case 'unavailable':
      return new PageError(
        503,
        'Cronofy is not answering',
        'Cronofy did not answer in time or could not be reached. Nothing was changed. Try again in a moment.',
        [{ href: '/', label: 'Back to the start' }],
        { 'Retry-After': '5' },
      );
    case 'invalid_client':
      return new PageError(
        502,
        'Cronofy did not accept this app',
        "The app's client id or secret was refused. Check CRONOFY_CLIENT_ID, CRONOFY_CLIENT_SECRET and that CRONOFY_DATA_CENTER is the data center the application was created in.",
      );
    case 'unauthorized':
      return new PageError(
        502,
        'Cronofy refused the access token',
        'Cronofy did not accept the access token even after the app refreshed it. Try again; if it keeps happening, disconnect and connect again.',
      );
    case 'not_found':
      return new PageError(404, 'Not found at Cronofy', 'Cronofy does not know what was asked for; it may have been deleted.');
    default:
      return new PageError(
        502,
        'Cronofy gave an unexpected answer',
        'The request to Cronofy failed in a way the app does not expect. Nothing was changed. Try again; if it keeps happening, check the server log.',
      );
  }
}

/** Whole seconds between 1 and the longest hold; 5 when Cronofy gave none (or nothing readable). */
export function boundedRetryAfter(seconds: number | undefined): number {
  if (seconds === undefined || !Number.isFinite(seconds)) return 5;
  return Math.min(MAX_HOLD_SECONDS, Math.max(1, Math.ceil(seconds)));
}

const STORAGE_ERRORS = /Command timed out|Connection is closed|Stream isn't writeable|ECONNREFUSED|MaxRetriesPerRequest|Reached the max retries/;

export function isStorageError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'MaxRetriesPerRequestError' || STORAGE_ERRORS.test(err.message));
}

function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
