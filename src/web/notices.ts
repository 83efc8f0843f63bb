// Notices for visitors who may have no session: "connect first" messages travel as a fixed code in
// the redirect's query (`/?notice=connect-calendar`), never as a session flash, so an anonymous
// GET writes nothing to the store. Only the codes below are shown; anything else is ignored.
import type { RequestHandler, Response } from 'express';

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

/** Shows a known notice as the page's flash message (a session flash wins). */
export const noticeFromQuery: RequestHandler = (req, res, next) => {
  const code: unknown = req.query.notice;
  if (!res.locals.flash && typeof code === 'string' && Object.hasOwn(NOTICES, code)) {
    res.locals.flash = { kind: 'info', text: NOTICES[code as NoticeCode] };
  }
  next();
};
