import { Router } from 'express';
import type { AppContext } from '../context';
import { oauthCallback } from './callback';
import { startConnect } from './start';

export function connectRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/connect/individual', startConnect(ctx, 'individual'));
  router.get('/connect/organization', startConnect(ctx, 'organization'));
  router.get('/connect/enterprise', startConnect(ctx, 'enterprise'));
  router.get('/oauth/callback', oauthCallback(ctx));
  return router;
}
