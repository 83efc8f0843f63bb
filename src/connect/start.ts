// GET /connect/individual, /connect/organization and /connect/enterprise: the first leg of the authorization code flow.
// The pending flow (kind, data center, redirect_uri, this session) is stored under a fresh state
// and the session is saved *before* the redirect, so the callback can never arrive first.
import type { RequestHandler } from 'express';
import type { AppContext } from '../context';
import type { ConnectionKind } from '../connections/connection';
import { beginFlows, saveSession } from '../session/access';
import { newState } from '../connections/state-store';
import { mask } from '../inspector/mask';
import { flowOutcome } from '../metrics/flows';
import { enterpriseAuthorization } from '../enterprise/authorize-url';

export const ORGANIZATION_SCOPE = 'organizational_unit_scheduler';

export function startConnect(ctx: AppContext, kind: ConnectionKind): RequestHandler {
  return async (req, res) => {
    const dataCenter = ctx.config.cronofy.dataCenter;
    const state = newState();
    const { flowBinding } = beginFlows(req, ctx.now());
    await ctx.states.put(state, {
      kind,
      data_center: dataCenter,
      redirect_uri: ctx.redirectUris.oauth,
      session_binding: flowBinding,
      created_at: ctx.now(),
    });
    await saveSession(req);
    const enterprise = kind === 'enterprise' ? enterpriseAuthorization(ctx, dataCenter, state) : undefined;
    const scope = enterprise?.scope ?? (kind === 'organization' ? ORGANIZATION_SCOPE : ctx.config.cronofy.scope);
    const url = enterprise?.url ?? ctx.clientFor(dataCenter).authorizationUrl({ redirect_uri: ctx.redirectUris.oauth, scope, state });
    ctx.inspector.record(req, 'Browser sent to the authorize page', {
      url: url.slice(0, url.indexOf('?')),
      response_type: 'code',
      client_id: ctx.config.cronofy.clientId,
      redirect_uri: ctx.redirectUris.oauth,
      scope,
      delegated_scope: enterprise?.delegated_scope,
      state: mask(state),
      'data center': dataCenter,
    });
    flowOutcome(res, 'started');
    res.redirect(url);
  };
}
