// What a person sees when something fails: a status, a title, what happened and what to do next.
// Route handlers throw these; web/error-handler.ts renders them and maps every other error to one.

export interface NextStep {
  href: string;
  label: string;
}

export class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly next: NextStep[] = [{ href: '/', label: 'Back to the start' }],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'PageError';
  }
}

export const startAgain = (kind: 'individual' | 'organization' | 'enterprise' = 'individual'): NextStep => ({
  href: `/connect/${kind}`,
  label: 'Start again',
});

export function invalidCallback(detail: string, kind?: 'individual' | 'organization' | 'enterprise'): PageError {
  return new PageError(
    400,
    'This sign-in link is invalid or expired',
    `${detail} This happens when the link was already used (back button or a refresh), is more than 10 minutes old, ` +
      'was opened in another browser, or the session cookie was blocked. Nothing was changed: start again.',
    [startAgain(kind), { href: '/', label: 'Back to the start' }],
  );
}

export const notConnected = (what = 'your calendars'): PageError =>
  new PageError(409, 'No calendar is connected', `Connect a calendar first to see ${what}.`, [
    startAgain('individual'),
  ]);
