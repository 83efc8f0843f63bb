import { Router } from 'express';
import type { AppContext } from '../context';
import { summarize } from '../connections/connection';
import { connectionOf } from '../session/access';
import { groupByProfile } from './group';

export function calendarRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/calendars', async (req, res) => {
    const id = connectionOf(req, 'individual', 'Connect a calendar first: then its calendars are listed here.');
    if (!id) return res.redirect('/');
    // The connection as it stands after any refresh: no second read for the summary.
    const { result: calendars, connection } = await ctx.accessTokens.withAccessToken(id, (c) =>
      ctx.clientFor(c.data_center).listCalendars({ accessToken: c.access_token }),
    );
    res.render('calendars', { profiles: groupByProfile(calendars), connections: { individual: summarize(connection) } });
  });

  return router;
}
