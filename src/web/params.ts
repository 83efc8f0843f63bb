// Query values as the callback may use them. Express 5 turns repeated keys into arrays, and
// anything can arrive here, so each value is checked for type, length and charset first.
import type { Request } from 'express';

export type Param = { ok: true; value: string | undefined } | { ok: false };

/** A single string of at most `max` characters from `charset`, or absent. */
export function singleParam(req: Request, name: string, max: number, charset: RegExp): Param {
  const raw: unknown = req.query[name];
  if (raw === undefined) return { ok: true, value: undefined };
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > max || !charset.test(raw)) return { ok: false };
  return { ok: true, value: raw };
}

export const STATE_CHARSET = /^[A-Za-z0-9_-]+$/;
/** RFC 6749 leaves the code's format open; printable ASCII without spaces is what any server sends. */
export const CODE_CHARSET = /^[\x21-\x7e]+$/;
export const ERROR_CHARSET = /^[a-z_]+$/;
