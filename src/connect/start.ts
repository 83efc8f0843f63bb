// GET /connect/individual, /connect/organization and /connect/enterprise: the first leg of the authorization code flow.
// The pending flow (kind, data center, redirect_uri, this session) is stored under a fresh state
// and the session is saved *before* the redirect, so the callback can never arrive first.
import type { Request, RequestHandler, Response } from 'express';
import type { AuthorizeOptions } from '../cronofy/client';
import type { AppContext } from '../context';
import type { ConnectionKind } from '../connections/connection';
import { beginFlows, saveSession } from '../session/access';
import { newState } from '../connections/state-store';
import { mask } from '../inspector/mask';
import { flowOutcome } from '../metrics/flows';
import { enterpriseAuthorization } from '../enterprise/authorize-url';

export const ORGANIZATION_SCOPE = 'organizational_unit_scheduler';

/** Provider buttons may pre-select one of these on Cronofy's page (provider_name). */
export const PROVIDER_NAMES = ['google', 'exchange', 'apple', 'live_connect'] as const;

/** provider_name and avoid_linking from the query, when they are what the home page's buttons send. */
function authorizeOptionsFrom(req: Request): AuthorizeOptions {
  const provider = req.query.provider_name;
  return {
    provider_name: typeof provider === 'string' && (PROVIDER_NAMES as readonly string[]).includes(provider) ? provider : undefined,
    avoid_linking: req.query.avoid_linking === 'true',
  };
}

export function startConnect(ctx: AppContext, kind: ConnectionKind): RequestHandler {
  return (req, res) => beginConnect(ctx, req, res, kind, kind === 'individual' ? authorizeOptionsFrom(req) : {});
}

/** Stores the pending flow, saves the session, then redirects to Cronofy's authorize page (with link_token, provider_name, avoid_linking when given). */
export async function beginConnect(ctx: AppContext, req: Request, res: Response, kind: ConnectionKind, options: AuthorizeOptions): Promise<void> {
  const dataCenter = ctx.config.cronofy.dataCenter;
  const state = newState();
  const { flowBinding } = beginFlows(req, ctx.now());
  await ctx.states.put(state, {
    kind,
    data_center: dataCenter,
    redirect_uri: ctx.redirectUris.oauth,
    session_binding: flowBinding,
    created_at: ctx.now(),
    ...(options.link_token ? { adding_account: true } : {}),
  });
  await saveSession(req);
  const enterprise = kind === 'enterprise' ? enterpriseAuthorization(ctx, dataCenter, state) : undefined;
  const scope = enterprise?.scope ?? (kind === 'organization' ? ORGANIZATION_SCOPE : ctx.config.cronofy.scope);
  const url = enterprise?.url ?? ctx.clientFor(dataCenter).authorizationUrl({ redirect_uri: ctx.redirectUris.oauth, scope, state, ...options });
  ctx.inspector.record(req, 'Browser sent to the authorize page', {
    url: url.slice(0, url.indexOf('?')),
    response_type: 'code',
    client_id: ctx.config.cronofy.clientId,
    redirect_uri: ctx.redirectUris.oauth,
    scope,
    delegated_scope: enterprise?.delegated_scope,
    state: mask(state),
    'data center': dataCenter,
    ...(options.provider_name ? { provider_name: options.provider_name } : {}),
    ...(options.avoid_linking ? { avoid_linking: 'true' } : {}),
    ...(options.link_token ? { link_token: mask(options.link_token) } : {}),
  });
  flowOutcome(res, 'started');
  res.redirect(url);
}
