// POST /disconnect: forget the tokens (for every browser of this Cronofy account) and revoke at
// Cronofy; a revoke that fails is queued and retried until Cronofy confirms ("revocation pending").
// POST /logout: end the session (store entry destroyed, cookie cleared). The calendar and
// organization connections stay, kept for the person to sign in to again (decision 010); what
// belongs to the session only (an Enterprise Connect service account and its people, a connection
// whose token answer had no `sub`) is revoked.
import { Router } from 'express';
import type { AppContext } from '../context';
import type { ConnectionKind } from '../connections/connection';
import { connectionIds, destroySession, flash, forgetConnection } from '../session/access';
import { sessionCookieName } from '../session';
import { mask } from '../inspector/mask';
import type { RevokeOutcome } from '../revocation/revoker';
import { releaseServiceAccount, serviceReleasedMessage } from '../enterprise/release';

export function accountRoutes(ctx: AppContext): Router {
  const router = Router();

  router.post('/disconnect', async (req, res) => {
    const ids = connectionIds(req);
    const requested: unknown = (req.body as Record<string, unknown> | undefined)?.connection;
    const kinds: ConnectionKind[] =
      requested === 'individual' || requested === 'organization' ? [requested] : ['individual', 'organization'];

    const pending: string[] = [];
    const notRevoked: string[] = [];
    const disconnected: string[] = [];
    for (const kind of kinds) {
      const id = ids[kind];
      if (!id) continue;
      const stored = await ctx.tokens.take(id); // a refresh landing after this revokes its own tokens
      await ctx.cache.invalidate(id);
      forgetConnection(req, kind);
      const what = kind === 'organization' ? 'organization' : 'calendar';
      disconnected.push(what);
      if (!stored) continue;
      const { connection } = stored;
      await ctx.push.channels.close(connection).catch((err: unknown) => ctx.logger.warn({ err }, 'push channel not closed'));
      const outcome: RevokeOutcome = await ctx.revoker.revoke(connection, { token: connection.refresh_token }, 'disconnect');
      if (outcome === 'revoked') ctx.inspector.record(req, 'Revoked: POST /oauth/token/revoke', { connection: kind, token: mask(connection.refresh_token) });
      else if (outcome === 'pending') {
        ctx.inspector.record(req, 'Revoke failed; queued and retried until Cronofy confirms', { connection: kind });
        pending.push(what);
      } else {
        ctx.inspector.record(req, 'Revoke failed and could not be queued; tokens forgotten anyway', { connection: kind });
        notRevoked.push(what);
      }
    }
    const which = `your ${disconnected.join(' and ')} connection${disconnected.length > 1 ? 's' : ''}`;
    if (disconnected.length === 0) flash(req, 'info', 'Nothing was connected.');
    else if (notRevoked.length === 0 && pending.length === 0) flash(req, 'info', `Disconnected ${which}. Cronofy has revoked the access, and this app has deleted the tokens.`);
    else if (notRevoked.length === 0)
      flash(
        req,
        'info',
        `Disconnected ${which}: this app deleted its tokens. Revocation pending: Cronofy could not be reached to revoke the ${pending.join(' and ')} access, ` +
          'so the app keeps asking until Cronofy confirms.',
      );
    else
      flash(
        req,
        'error',
        `This app deleted its tokens, but Cronofy could not be told to revoke the ${notRevoked.join(' and ')} access. ` +
          'It stops working when it expires; you can also remove the app from your Cronofy account settings.',
      );
    res.redirect('/');
  });

  router.post('/logout', async (req, res) => {
    const ids = connectionIds(req);
    for (const id of Object.values(ids)) if (id) await ctx.cache.invalidate(id);
    // Enterprise Connect belongs to this session only (no sign-in by account): it ends with the
    // session, so its grants and its people's are revoked (queued if Cronofy cannot be reached).
    const enterprise = ids.enterprise ? serviceReleasedMessage(await releaseServiceAccount(ctx, ids.enterprise)) : undefined;
    // So does a connection whose token answer had no `sub` (nobody could sign in to it again).
    let revokedUnnamed = false;
    for (const id of [ids.individual, ids.organization]) if (id && (await releaseIfSessionBound(id))) revokedUnnamed = true;
    await ctx.inspector.forget(req); // the timeline holds the account's email: it ends with the session
    await destroySession(req);
    res.clearCookie(sessionCookieName(ctx.config.secureCookies), { path: '/', httpOnly: true, sameSite: 'lax', secure: ctx.config.secureCookies });
    res.set('Clear-Site-Data', '"cache", "storage"');
    res.render('logged-out', { enterprise, revokedUnnamed });
  });

  /** Revokes a record only this session can reach (it has `lapses_at`); a sign-in's record is kept. */
  async function releaseIfSessionBound(id: string): Promise<boolean> {
    if ((await ctx.tokens.get(id))?.connection.lapses_at === undefined) return false;
    const taken = await ctx.tokens.take(id); // a refresh landing after this revokes its own tokens
    if (!taken) return false;
    await ctx.push.channels.close(taken.connection).catch((err: unknown) => ctx.logger.warn({ err }, 'push channel not closed'));
    await ctx.revoker.revoke(taken.connection, { token: taken.connection.refresh_token }, 'logout');
    return true;
  }

  return router;
}
