// The one error handler: every failure becomes a page saying what happened and what to do next.
// No stack trace or raw upstream text ever reaches the browser; the log gets a scrubbed summary.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { CronofyError, ReconnectRequiredError } from '../cronofy/errors';
import { MAX_HOLD_SECONDS } from '../cronofy/quota-hold';
import { neededScope } from '../cronofy/needed-scope';
import { forgetConnectionId } from '../session/access';
import { StorageError } from '../store/errors';
import { type NextStep, PageError, startAgain } from './errors';
import { redactPath } from './logging';

export const notFound: RequestHandler = (req, _res, next) => {
  next(new PageError({ status: 404, code: 'not_found', title: 'Page not found', message: `There is nothing at ${req.path.slice(0, 100)}.` }));
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const lost = (err instanceof ReconnectRequiredError && forgetConnectionId(req, err.connectionId)) || 'individual';
    const page = toPage(err, lost, req.path);
    if (page.status >= 500) logger.error({ err, path: redactPath(req.path) }, 'request failed');
    if (res.headersSent) return;
    res.status(page.status).set(page.headers).set('Cache-Control', 'no-store');
    res.render('error', { title: page.title, message: page.message, next: page.next, status: page.status });
  };
}

function toPage(err: unknown, lost: 'individual' | 'organization' | 'enterprise', path: string): PageError {
  if (err instanceof PageError) return err;
  if (err instanceof ReconnectRequiredError) {
    return new PageError({
      status: 401,
      code: 'reconnect_required',
      title: lost === 'organization' ? 'Please connect your organization again' : lost === 'enterprise' ? 'Please connect the service account again' : 'Please connect your calendar again',
      message: `${err.message} The app has forgotten this connection; connecting again takes a few seconds.`,
      next: [startAgain(lost), { href: '/', label: 'Back to the start' }],
    });
  }
  if (err instanceof CronofyError) return err.code === 'forbidden' ? forbiddenPage(err, path) : cronofyPage(err);
  if (err instanceof StorageError) {
    return new PageError({
      status: 503,
      code: 'storage_unavailable',
      title: 'Session storage is unavailable',
      message: 'The app cannot reach its session store (Redis) right now, so it cannot safely continue. Nothing was changed. Try again in a moment.',
      next: [{ href: '/', label: 'Try again' }],
      headers: { 'Retry-After': '5' },
    });
  }
  const status = httpStatusOf(err);
  if (status === 413) return new PageError({
    status: 413,
    code: 'too_large',
    title: 'That was too large',
    message: 'The request was larger than this app accepts. Nothing was changed.',
  });
  if (status !== undefined && status >= 400 && status < 500) {
    return new PageError({
      status: 400,
      code: 'bad_request',
      title: 'That request could not be understood',
      message: 'The request was malformed. Nothing was changed.',
    });
  }
  return new PageError({
    status: 500,
    code: 'internal',
    title: 'Something went wrong',
    message: 'The app hit an unexpected problem. Nothing was changed. Try again; if it keeps happening, check the server log.',
  });
}

/**
 * A 403 (I2): Cronofy recognised the token but it does not allow this call. Refreshing cannot help;
 * a new grant can. The page names the permission (from the call made) and whose grant lacks it,
 * which the page asked for tells: an organization's (or a member it acted for), an Enterprise
 * Connect person's or service account's, or else the person's own calendar connection.
 */
function forbiddenPage(err: CronofyError, path: string): PageError {
  const needed = neededScope(err.details.endpoint);
  const page = (title: string, message: string, next: NextStep): PageError =>
    new PageError({ status: 403, code: 'cronofy_forbidden', title, message, next: [next, { href: '/', label: 'Back to the start' }] });
  const missing = needed ? `A permission is missing: ${needed.scope}` : 'Cronofy refused this request';
  if (err.details.impersonating) {
    return page(
      'Cronofy refused this request',
      "Cronofy did not let the app act for this member: they may have left the organization, or the organization's connection no longer allows it. Choose another member, or connect the organization again.",
      startAgain('organization'),
    );
  }
  if (path.startsWith('/enterprise/people/')) {
    return page(
      missing,
      `Cronofy did not let the app ${needed?.purpose ?? 'do this'} with this person's grant${needed ? `, which lacks ${needed.scope}` : ''}. People are granted what CRONOFY_ENTERPRISE_DELEGATED_SCOPE lists: revoke the person and authorize them again once it includes the permission.`,
      { href: '/enterprise', label: 'Back to the people' },
    );
  }
  if (path.startsWith('/enterprise')) {
    return page(
      'Cronofy refused this request',
      "Cronofy did not let the service account do this: its authorization does not allow it. Connect the service account again, and ask the administrator to allow what it asks for.",
      startAgain('enterprise'),
    );
  }
  if (path.startsWith('/organization')) {
    return page(missing, "Cronofy did not let the app do this with the organization's connection. Connect the organization again.", startAgain('organization'));
  }
  return page(
    missing,
    needed
      ? `Cronofy did not let the app ${needed.purpose}: the connection was granted without the ${needed.scope} permission. Connect again and allow it (the app asks for the scopes CRONOFY_SCOPE lists).`
      : 'The connection is missing a permission this page needs. Connect again and allow it, or ask the account owner.',
    startAgain('individual'),
  );
}

function cronofyPage(err: CronofyError): PageError {
  switch (err.code) {
    case 'rate_limited':
      return new PageError({
        status: 429,
        code: 'cronofy_rate_limited',
        title: 'Too many requests to Cronofy',
        message: 'Cronofy is limiting how fast this app can call it. Wait a few seconds and try again.',
        next: [{ href: '/', label: 'Back to the start' }],
        headers: { 'Retry-After': String(boundedRetryAfter(err.details.retryAfter)) },
      });
    case 'unavailable':
      return new PageError({
        status: 503,
        code: 'cronofy_unavailable',
        title: 'Cronofy is not answering',
        message: 'Cronofy did not answer in time or could not be reached. Nothing was changed. Try again in a moment.',
        next: [{ href: '/', label: 'Back to the start' }],
        headers: { 'Retry-After': '5' },
      });
    case 'invalid_client':
      return new PageError({
        status: 502,
        code: 'cronofy_invalid_client',
        title: 'Cronofy did not accept this app',
        message: "The app's client id or secret was refused. Check CRONOFY_CLIENT_ID, CRONOFY_CLIENT_SECRET and that CRONOFY_DATA_CENTER is the data center the application was created in.",
      });
    case 'unauthorized':
      return new PageError({
        status: 502,
        code: 'cronofy_unauthorized',
        title: 'Cronofy refused the access token',
        message: 'Cronofy did not accept the access token even after the app refreshed it. Try again; if it keeps happening, disconnect and connect again.',
      });
    case 'not_found':
      return new PageError({
        status: 404,
        code: 'cronofy_not_found',
        title: 'Not found at Cronofy',
        message: 'Cronofy does not know what was asked for; it may have been deleted.',
      });
    default:
      return new PageError({
        status: 502,
        code: 'cronofy_unexpected',
        title: 'Cronofy gave an unexpected answer',
        message: 'The request to Cronofy failed in a way the app does not expect. Nothing was changed. Try again; if it keeps happening, check the server log.',
      });
  }
}

/** Whole seconds between 1 and the longest hold; 5 when Cronofy gave none (or nothing readable). */
function boundedRetryAfter(seconds: number | undefined): number {
  if (seconds === undefined || !Number.isFinite(seconds)) return 5;
  return Math.min(MAX_HOLD_SECONDS, Math.max(1, Math.ceil(seconds)));
}

function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
