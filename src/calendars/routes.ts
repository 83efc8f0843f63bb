import { Router } from 'express';
import type { AppContext } from '../context';
import { type Connection, summarize } from '../connections/connection';
import { flash } from '../session/helpers';
import { groupByProfile } from './group';
import { PROVIDER_NAMES } from '../connect/start';
import { profileHealth, providerLabel } from '../linking/health';

export function calendarRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/calendars', async (req, res) => {
    const id = req.session.connections?.individual;
    if (!id) {
      flash(req, 'info', 'Connect a calendar first: then its calendars are listed here.');
      res.redirect('/');
      return;
    }
    let used: Connection | undefined;
    const [[calendars, profiles], push] = await Promise.all([
      ctx.tokenManager.withAccessToken(id, async (connection) => {
        used = connection; // the connection as it stands after any refresh: no second read
        const client = ctx.clientFor(connection.data_center);
        const calendars = await client.listCalendars({ accessToken: connection.access_token });
        const cached = await ctx.push.profiles.get(connection.id);
        if (cached) return [calendars, cached] as const;
        const profiles = await client.listProfiles({ accessToken: connection.access_token });
        await ctx.push.profiles.set(connection.id, profiles);
        return [calendars, profiles] as const;
      }),
      ctx.push.panel(id),
    ]);
    res.render('calendars', {
      profiles: groupByProfile(calendars),
      health: profileHealth(profiles, new URL(ctx.clientFor(ctx.config.cronofy.dataCenter).hosts.appUrl).origin),
      push,
      providers: PROVIDER_NAMES.map((name) => ({ name, label: providerLabel(name) })),
      connections: used ? { individual: summarize(used) } : {},
    });
  });

  return router;
}
