// How the emulator fails: a handler throws, and the one error middleware (errorHandler) answers.
// - ApiError: a failed API answer: Cronofy's status, JSON body (or none) and headers; the test
//   control's own refusals too.
// - PageError: an app-role page (consent, approval, relink) saying what went wrong and what to do.
// - Anything else is a bug: logged, answered 500 with no detail.
import type { NextFunction, Request, Response } from 'express';
import type { Errors } from './context';
import type { Answer } from './types';

/** Sends an answer as given: its status, headers and JSON body (none: an empty body). */
export function send(res: Response, answer: Answer): void {
  res.status(answer.status).set(answer.headers ?? {});
  if (answer.body === undefined) res.end();
  else res.json(answer.body);
}

export class ApiError extends Error {
  readonly answer: Answer;

  constructor(answer: Answer) {
    super(`answered ${answer.status}`);
    this.name = 'ApiError';
    this.answer = answer;
  }
}

export class PageError extends Error {
  readonly status: number;
  readonly heading: string;
  readonly text: string;

  constructor(options: { status: number; heading: string; text: string }) {
    super(options.heading);
    this.name = 'PageError';
    this.status = options.status;
    this.heading = options.heading;
    this.text = options.text;
  }
}

/** RFC 6749 §5.2: `{error, error_description}`, never cached. */
export const oauthError = (status: number, error: string, description: string): ApiError =>
  new ApiError({ status, body: { error, error_description: description }, headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' } });

/** 422 in Cronofy's shape, each problem under its field. */
export const invalid = (errors: Errors): ApiError => new ApiError({ status: 422, body: { errors } });

/** The test control refusing a call it cannot act on. */
export const controlError = (status: 400 | 404, message: string): ApiError => new ApiError({ status, body: { error: message } });

export const notFound = (description?: string): ApiError =>
  new ApiError({ status: 404, body: description === undefined ? { error: 'not_found' } : { error: 'not_found', error_description: description } });

/** 403; a missing scope also says so in WWW-Authenticate (RFC 6750 §3.1). */
export const forbidden = (description: string, options: { insufficientScope?: boolean } = {}): ApiError =>
  new ApiError({
    status: 403,
    body: { error: 'forbidden', error_description: description },
    headers: options.insufficientScope ? { 'WWW-Authenticate': 'Bearer realm="Cronofy", error="insufficient_scope"' } : {},
  });

export const NOT_SERVED = 'The emulator serves nothing at this path (docs/emulator.md lists what it serves).';

/** 404 for paths the emulator does not serve: JSON on the API, a page elsewhere. */
export function notServed(req: Request): never {
  if (req.path.startsWith('/v1/') || req.path.startsWith('/oauth/')) throw notFound(NOT_SERVED);
  throw new PageError({ status: 404, heading: 'Not found', text: NOT_SERVED });
}

export function errorHandler(log: (line: string) => void) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (err instanceof ApiError) return send(res, err.answer);
    if (err instanceof PageError) return void res.status(err.status).render('message', { heading: err.heading, text: err.text });
    const type = typeof err === 'object' && err !== null && 'type' in err ? err.type : undefined;
    if (type === 'entity.parse.failed') {
      return req.path.startsWith('/v1/')
        ? send(res, invalid({ body: [{ key: 'errors.invalid_json', description: 'the body is not valid JSON' }] }).answer)
        : send(res, { status: 400, body: { error: 'invalid_request', error_description: 'the body could not be parsed' } });
    }
    if (type === 'entity.too.large') return send(res, { status: 413, body: { error: 'request_too_large' } });
    log(`emulator: ${req.method} ${req.path} failed: ${err instanceof Error ? err.message : String(err)}`);
    send(res, { status: 500, body: { error: 'server_error' } });
  };
}
