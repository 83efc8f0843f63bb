import { Router } from 'express';
import type { AppContext } from '../context';
import { type Connection, summarize } from '../connections/connection';
import { ReconnectRequiredError } from '../cronofy/errors';
import { ageOf } from '../cache/read-cache';
import { connectionOf } from '../session/access';
import { redirectHomeWith } from '../web/notices';
import { groupByProfile } from './group';

export function calendarRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/calendars', async (req, res) => {
    const id = connectionOf(req, 'individual');
    if (!id) return redirectHomeWith(res, 'connect-calendar');
    let used: Connection | undefined;
    const calendars = await ctx.cache.read(id, 'calendars', async () => {
      // The connection as it stands after any refresh: no second read for the summary.
      const { result, connection } = await ctx.accessTokens.withAccessToken(id, (c) =>
        ctx.clientFor(c.data_center).listCalendars({ accessToken: c.access_token }),
      );
      used = connection;
      return result;
    });
    const connection = used ?? (await ctx.tokens.get(id))?.connection; // a cached answer: read it
    if (!connection) throw new ReconnectRequiredError('missing', id);
    res.render('calendars', {
      profiles: groupByProfile(calendars.value),
      connections: { individual: summarize(connection) },
      fetched: ageOf(calendars, ctx.now()),
    });
  });

  return router;
}
