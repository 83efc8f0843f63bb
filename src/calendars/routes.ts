import { Router } from 'express';
import type { AppContext } from '../context';
import { type Connection, summarize } from '../connections/connection';
import { connectionOf } from '../session/access';
import { groupByProfile } from './group';

export function calendarRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/calendars', async (req, res) => {
    const id = connectionOf(req, 'individual', 'Connect a calendar first: then its calendars are listed here.');
    if (!id) return res.redirect('/');
    let used: Connection | undefined;
    const calendars = await ctx.accessTokens.withAccessToken(id, (connection) => {
      used = connection; // the connection as it stands after any refresh: no second read
      return ctx.clientFor(connection.data_center).listCalendars({ accessToken: connection.access_token });
    });
    res.render('calendars', { profiles: groupByProfile(calendars), connections: used ? { individual: summarize(used) } : {} });
  });

  return router;
}
