import { Router } from 'express';
import type { AppContext } from '../context';
import { summarize } from '../connections/connection';
import { connectionOf } from '../session/access';
import { groupByProfile } from './group';
import { PROVIDER_NAMES } from '../connect/start';
import { profileHealth, providerLabel } from '../linking/health';

export function calendarRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/calendars', async (req, res) => {
    const id = connectionOf(req, 'individual', 'Connect a calendar first: then its calendars are listed here.');
    if (!id) return res.redirect('/');
    // The connection as it stands after any refresh: no second read for the summary.
    const [{ result, connection }, push] = await Promise.all([
      ctx.accessTokens.withAccessToken(id, async (c) => {
        const client = ctx.clientFor(c.data_center);
        const calendars = await client.listCalendars({ accessToken: c.access_token });
        // Profiles are kept a minute (and kept current by push notifications): one Cronofy call per page.
        const cached = await ctx.push.profiles.get(c.id);
        if (cached) return { calendars, profiles: cached };
        const profiles = await client.listProfiles({ accessToken: c.access_token });
        await ctx.push.profiles.set(c.id, profiles);
        return { calendars, profiles };
      }),
      ctx.push.panel(id),
    ]);
    res.render('calendars', {
      profiles: groupByProfile(result.calendars),
      health: profileHealth(result.profiles, new URL(ctx.clientFor(ctx.config.cronofy.dataCenter).hosts.appUrl).origin),
      push,
      providers: PROVIDER_NAMES.map((name) => ({ name, label: providerLabel(name) })),
      connections: { individual: summarize(connection) },
    });
  });

  return router;
}
