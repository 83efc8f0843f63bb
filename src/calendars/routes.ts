import { Router } from 'express';
import type { AppContext } from '../context';
import { type Connection, summarize } from '../connections/connection';
import { ReconnectRequiredError } from '../cronofy/errors';
import { ageOf } from '../cache/read-cache';
import { connectionOf } from '../session/access';
import { redirectHomeWith } from '../web/notices';
import { groupByProfile } from './group';
import { PROVIDER_NAMES } from '../connect/start';
import { profileHealth, providerLabel } from '../linking/health';

export function calendarRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/calendars', async (req, res) => {
    const id = connectionOf(req, 'individual');
    if (!id) return redirectHomeWith(res, 'connect-calendar');
    let used: Connection | undefined;
    const [calendars, profiles, push] = await Promise.all([
      ctx.cache.read(id, 'calendars', async () => {
        // The connection as it stands after any refresh: no second read for the summary.
        const { result, connection } = await ctx.accessTokens.withAccessToken(id, (c) =>
          ctx.clientFor(c.data_center).listCalendars({ accessToken: c.access_token }),
        );
        used = connection;
        return result;
      }),
      // Profiles are kept a minute (and kept current by push notifications): at most one Cronofy call per page.
      (async () => {
        const cached = await ctx.push.profiles.get(id);
        if (cached) return cached;
        const { result } = await ctx.accessTokens.withAccessToken(id, (c) => ctx.clientFor(c.data_center).listProfiles({ accessToken: c.access_token }));
        await ctx.push.profiles.set(id, result);
        return result;
      })(),
      ctx.push.panel(id),
    ]);
    const connection = used ?? (await ctx.tokens.get(id))?.connection; // a cached answer: read it
    if (!connection) throw new ReconnectRequiredError('missing', id);
    res.render('calendars', {
      profiles: groupByProfile(calendars.value),
      health: profileHealth(profiles, new URL(ctx.clientFor(ctx.config.cronofy.dataCenter).hosts.appUrl).origin),
      push,
      providers: PROVIDER_NAMES.map((name) => ({ name, label: providerLabel(name) })),
      connections: { individual: summarize(connection) },
      fetched: ageOf(calendars, ctx.now()),
    });
  });

  return router;
}
