import { Router } from 'express';
import type { AppContext } from '../context';
import { sessionConnections } from '../session/access';
import { PROVIDER_NAMES } from '../connect/start';
import { providerLabel } from '../linking/health';

export function homeRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    res.render('home', {
      connections: await sessionConnections(req, ctx.tokens),
      providers: PROVIDER_NAMES.map((name) => ({ name, label: providerLabel(name) })),
    });
  });
  return router;
}

/** Served before the session middleware: probes must not touch sessions. */
export function healthRoutes(ctx: AppContext): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const ready = await ctx.kv.ping();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'session store unavailable' });
  });

  return router;
}
