// Records only one browser session can reach (decision 010: Enterprise Connect's service account, a
// token answer without `sub`) lapse when the session idles out, not hours later at its absolute end.
// - The session store forgets an idle session by itself (its TTL), telling nobody; so instead the
//   records' lapse time (the token store's schedule) is kept ahead of the session: a request moves
//   it to SESSION_HOLD_MS from now, never past the record's `lapses_at` (the absolute end).
// - Cheaply: the session remembers the time it last wrote (`boundUntil`), so a request only compares
//   two numbers, and moves it on once less than SESSION_HOLD_RENEW_MS is left: at most once per half
//   idle timeout, one session save and one schedule write per record.
// - Once a session stops, its records lapse 5 to 20 minutes after the session idled out, and the
//   revocation worker revokes them (and a service account's people with it).
// A session whose records all reached their `lapses_at` has nothing left to move: `boundUntil` goes.
import type { RequestHandler, Request } from 'express';
import type { TokenStore } from '../connections/token-store';
import { SESSION_HOLD_MS, SESSION_HOLD_RENEW_MS } from '.';
import { boundUntilOf, connectionIds, setBoundUntil } from './access';

export interface SessionHoldOptions {
  tokens: Pick<TokenStore, 'get' | 'holdUntil'>;
  now: () => number;
}

export function sessionHold({ tokens, now }: SessionHoldOptions): RequestHandler {
  async function moveOn(req: Request): Promise<void> {
    const target = now() + SESSION_HOLD_MS;
    let movable: number | undefined;
    for (const id of Object.values(connectionIds(req))) {
      if (!id) continue;
      const stored = await tokens.get(id);
      const at = stored ? await tokens.holdUntil(stored.connection, target) : undefined;
      if (at !== undefined && at === target) movable = Math.min(movable ?? at, at);
    }
    setBoundUntil(req, movable);
  }

  return (req, _res, next) => {
    const until = boundUntilOf(req);
    if (until === undefined || until - now() >= SESSION_HOLD_RENEW_MS) return next();
    moveOn(req).then(() => next(), next);
  };
}
