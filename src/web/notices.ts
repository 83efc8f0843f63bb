// Notices for visitors who may have no session: "connect first" messages travel as a fixed code in
// the redirect's query (`/?notice=connect-calendar`), never as a session flash, so an anonymous
// GET writes nothing to the store. Only the codes below are shown; anything else is ignored.
import type { Request, Response } from 'express';
import type { Flash } from '../session/access';

const NOTICES = {
  'connect-calendar': 'Connect a calendar first: then its calendars are listed here.',
  'connect-for-permissions': 'Connect a calendar first: extended permissions are requested for its calendars.',
  'connect-organization': 'Connect an organization first: then its members are listed here.',
} as const;

export type NoticeCode = keyof typeof NOTICES;

/** Sends the browser home with a notice, touching no session. */
export function redirectHomeWith(res: Response, code: NoticeCode): void {
  res.redirect(`/?notice=${code}`);
}

/** The known notice this URL asks for, as a flash message for the page (a session flash wins: app.ts). */
export function noticeFrom(req: Request): Flash | undefined {
  const code: unknown = req.query.notice;
  return typeof code === 'string' && Object.hasOwn(NOTICES, code) ? { kind: 'info', text: NOTICES[code as NoticeCode] } : undefined;
}
