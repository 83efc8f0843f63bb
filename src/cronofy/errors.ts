// Errors from talking to Cronofy. They keep the status and Cronofy's error body (its `error` code
// and a trimmed description) but never the request: axios errors carry the Authorization header
// and the client secret, so they are never passed on or logged.

export type CronofyErrorCode =
  | 'invalid_grant' // code or refresh token unknown, used, expired or revoked; redirect_uri mismatch
  | 'invalid_client' // wrong client id/secret, or an app registered in another data center
  | 'unauthorized' // 401 on /v1/*: the access token was not accepted
  | 'forbidden' // 403: scope or permission missing, or impersonation refused
  | 'not_found'
  | 'invalid_request' // 400/422 other than the above
  | 'rate_limited' // 429
  | 'unavailable' // 5xx, timeout, connection refused, unreadable answer
  | 'unexpected';

export class CronofyError extends Error {
  constructor(
    readonly code: CronofyErrorCode,
    message: string,
    readonly details: {
      status?: number;
      /** Cronofy's OAuth `error` value or a short reason. */
      error?: string;
      /** Cronofy's `error_description`, trimmed; never rendered raw. */
      description?: string;
      /** Cronofy's 422 `errors` object, when there was one. */
      errors?: unknown;
      /** Seconds from a Retry-After header. */
      retryAfter?: number;
      /** Method and path of the call, without query or host. */
      endpoint?: string;
      /** The call carried Cronofy-Impersonate (Organization Connect, acting for a member). */
      impersonating?: boolean;
    } = {},
  ) {
    super(message);
    this.name = 'CronofyError';
  }

  get status(): number | undefined {
    return this.details.status;
  }
}

/** The connection's tokens are gone or dead: the person has to connect again. */
export class ReconnectRequiredError extends Error {
  constructor(
    readonly reason: 'revoked' | 'missing',
    readonly connectionId: string,
    message = 'The calendar connection is no longer valid.',
  ) {
    super(message);
    this.name = 'ReconnectRequiredError';
  }
}
