// POST /disconnect: revoke at Cronofy, then forget the tokens whether or not the revoke worked.
// POST /logout: end the session here (store entry destroyed, cookie cleared); nothing is revoked.
import { Router } from 'express';
import type { AppContext } from '../context';
import type { ConnectionKind } from '../connections/connection';
import { revokeGrant } from '../connections/revoke';
import { connectionIds, destroySession, flash, forgetConnection } from '../session/access';
import { sessionCookieName } from '../session';
import { mask } from '../inspector/mask';
import { forgetServiceAccount } from '../enterprise/release';

export function accountRoutes(ctx: AppContext): Router {
  const router = Router();

  router.post('/disconnect', async (req, res) => {
    const ids = connectionIds(req);
    const requested: unknown = (req.body as Record<string, unknown> | undefined)?.connection;
    const kinds: ConnectionKind[] =
      requested === 'individual' || requested === 'organization' ? [requested] : ['individual', 'organization'];

    const notRevoked: string[] = [];
    let disconnected = 0;
    for (const kind of kinds) {
      const id = ids[kind];
      if (!id) continue;
      const stored = await ctx.tokens.take(id); // a refresh landing after this revokes its own tokens
      forgetConnection(req, kind);
      disconnected++;
      if (!stored) continue;
      const { connection } = stored;
      await ctx.push.channels.close(connection).catch((err: unknown) => ctx.logger.warn({ err }, 'push channel not closed'));
      if (await revokeGrant(ctx.clientFor, connection, 'disconnect', ctx.logger)) {
        ctx.inspector.record(req, 'Revoked: POST /oauth/token/revoke', { connection: kind, token: mask(connection.refresh_token) });
      } else {
        ctx.inspector.record(req, 'Revoke failed; tokens forgotten anyway', { connection: kind });
        notRevoked.push(kind === 'organization' ? 'organization' : 'calendar');
      }
    }
    if (disconnected === 0) flash(req, 'info', 'Nothing was connected.');
    else if (notRevoked.length === 0) flash(req, 'info', 'Disconnected. Cronofy has revoked the access, and this app has deleted the tokens.');
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
    const { enterprise } = connectionIds(req);
    if (enterprise) await forgetServiceAccount(ctx, enterprise);
    for (const id of Object.values(connectionIds(req))) {
      if (id) await ctx.tokens.remove(id);
    }
    await destroySession(req);
    res.clearCookie(sessionCookieName(ctx.config.secureCookies), { path: '/', httpOnly: true, sameSite: 'lax', secure: ctx.config.secureCookies });
    res.set('Clear-Site-Data', '"cache", "storage"');
    res.render('logged-out');
  });

  return router;
}
