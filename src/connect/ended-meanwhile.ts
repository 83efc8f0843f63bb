// A grant just obtained and stored, then ended at Cronofy by a revoke of the same account that was
// already on the wire (decision 010: cancelling queued revokes cannot stop one already sent).
// Asked after the record is written and the account's queued revokes are cancelled:
// - no revoke of this account was on the wire lately (the usual case): one Redis read, no call;
// - one was: wait for its answer (revocation/in-flight.ts), then one cheap call with the new access
//   token (GET /v1/userinfo, any scope) says whether the grant is alive. 401: it was ended, and the
//   record holding it is deleted, so nothing dead is kept and the person is told at once.
// - Cronofy cannot be asked (timeout, 5xx) or the marks cannot be read: the grant is kept; if it is
//   dead, its next use says "connect again", as before this check.
import type { AppContext } from '../context';
import type { Connection } from '../connections/connection';
import { CronofyError } from '../cronofy/errors';

export async function endedMeanwhile(ctx: AppContext, connection: Connection): Promise<boolean> {
  if (connection.sub === undefined) return false;
  const lately = await ctx.revoker.revokedLately({ data_center: connection.data_center, sub: connection.sub }).catch((err: unknown) => {
    ctx.logger.warn({ err }, 'revokes on the wire not readable; checking the new grant');
    return true;
  });
  if (!lately) return false;
  try {
    await ctx.clientFor(connection.data_center).userInfo({ accessToken: connection.access_token });
    return false;
  } catch (err) {
    if (!(err instanceof CronofyError && err.code === 'unauthorized')) {
      ctx.logger.warn({ err }, 'new grant not checked after a revoke of the same account; kept');
      return false;
    }
  }
  const current = await ctx.tokens.get(connection.id);
  if (current && current.connection.refresh_token === connection.refresh_token) await ctx.tokens.removeIfVersion(connection.id, current.version);
  ctx.logger.info({ kind: connection.kind, data_center: connection.data_center }, 'new grant ended by a revoke of the same account sent before the sign-in; record deleted');
  return true;
}
