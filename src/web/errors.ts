// What a person sees when something fails: a status, a title, what happened and what to do next.
// Route handlers throw these; web/error-handler.ts renders them and maps every other error to one.

export interface NextStep {
  href: string;
  label: string;
}

/** What went wrong, for logs and tests; the page itself says it in words. */
export type PageErrorCode =
  | 'invalid_callback' // state missing, unknown, used, expired or another session's
  | 'authorization_error' // Cronofy's redirect carried an error other than access_denied
  | 'code_rejected' // invalid_grant on the code exchange
  | 'token_answer_refused' // the token answer failed a check; the grant was revoked
  | 'grant_not_stored' // the token record could not be written; the grant was revoked
  | 'ended_by_earlier_revoke' // a revoke of the account, sent before this sign-in, ended the new grant
  | 'another_tab_first' // another callback of this browser holds the lock or renewed the session
  | 'bad_member_id'
  | 'not_a_member'
  | 'no_calendar_chosen'
  | 'not_your_calendars'
  | 'untrusted_approval_url'
  | 'no_pending_permissions'
  | 'permissions_error'
  | 'no_service_account' // Enterprise Connect: nothing to authorize people with
  | 'no_such_person' // not one of this service account's people
  | 'person_not_authorized'
  | 'person_authorization_gone' // Cronofy no longer accepts the person's grant
  | 'csrf_rejected'
  | 'rate_limited'
  | 'not_found'
  | 'reconnect_required'
  | 'storage_unavailable'
  | 'too_large'
  | 'bad_request'
  | 'internal'
  | 'cronofy_forbidden'
  | 'cronofy_rate_limited'
  | 'cronofy_unavailable'
  | 'cronofy_invalid_client'
  | 'cronofy_unauthorized'
  | 'cronofy_not_found'
  | 'cronofy_unexpected';

export interface PageErrorOptions {
  status: number;
  code: PageErrorCode;
  title: string;
  /** What happened and what to do, in a sentence or two. */
  message: string;
  /** Links offered on the page; default: back to the start. */
  next?: NextStep[];
  headers?: Record<string, string>;
}

export class PageError extends Error {
  readonly status: number;
  readonly code: PageErrorCode;
  readonly title: string;
  readonly next: NextStep[];
  readonly headers: Record<string, string>;

  constructor(options: PageErrorOptions) {
    super(options.message);
    this.name = 'PageError';
    this.status = options.status;
    this.code = options.code;
    this.title = options.title;
    this.next = options.next ?? [{ href: '/', label: 'Back to the start' }];
    this.headers = options.headers ?? {};
  }
}

const CONNECT_AGAIN = { individual: 'Connect your calendar again', organization: 'Connect your organization again', enterprise: 'Connect the service account again' } as const;

/** A link that starts the flow of `kind` again, saying which. */
export const startAgain = (kind: 'individual' | 'organization' | 'enterprise' = 'individual'): NextStep => ({
  href: `/connect/${kind}`,
  label: CONNECT_AGAIN[kind],
});

export function invalidCallback(detail: string, kind?: 'individual' | 'organization' | 'enterprise'): PageError {
  return new PageError({
    status: 400,
    code: 'invalid_callback',
    title: 'This sign-in link is invalid or expired',
    message: `${detail} This happens when the link was already used (back button or a refresh), is more than 10 minutes old, ` +
      'was opened in another browser, or the session cookie was blocked. Nothing was changed: start again.',
    // Without a recognised state the app does not know which flow this was: the start page offers them all.
    next: kind ? [startAgain(kind), { href: '/', label: 'Back to the start' }] : [{ href: '/', label: 'Back to the start' }],
  });
}
