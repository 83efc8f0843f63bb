// GET /oauth/callback: the one redirect URI of every connect flow. In this order:
// 1. `state`: a single sane string, pending for *this* session, unexpired; consumed at once.
//    Anything else is a 400 page and no token request (RFC 9700 §2.1, §4.2.4).
// 2. `error`: the person declined (access_denied) or Cronofy reported a problem. Checked only
//    after the state, so a forged "declined" link changes nothing.
// 3. `code`: exchanged once, at the data center recorded with the flow, with the same redirect_uri.
// 3-4 run holding this browser's callback lock (browser-lock.ts), so two tabs never both exchange.
// 4. keep-grant.ts: the answer is checked and kept (or revoked), the session id and flow binding
//    renewed; the browser is sent on with a 302 so the code never sits in a rendered page's address bar.
import type { RequestHandler } from 'express';
import type { AppContext } from '../context';
import { CronofyError } from '../cronofy/errors';
import type { TokenResponse } from '../cronofy/types';
import { PageError, invalidCallback, startAgain } from '../web/errors';
import { CODE_CHARSET, ERROR_CHARSET, STATE_CHARSET, singleParam } from './params';
import type { PendingFlow } from './state-store';
import { withBrowserLock } from './browser-lock';
import { keepGrant } from './keep-grant';
import { mask } from '../inspector/mask';

const ERROR_MESSAGES: Record<string, string> = {
  invalid_request: 'The authorization request was malformed.',
  unauthorized_client: 'This application is not allowed to request authorization this way.',
  unsupported_response_type: 'Cronofy does not support the requested response type.',
  invalid_scope: 'The requested permissions (scope) were not accepted. Check CRONOFY_SCOPE.',
  server_error: 'Cronofy had a problem handling the request. Try again in a moment.',
  temporarily_unavailable: 'Cronofy is temporarily unavailable. Try again in a moment.',
};

export function oauthCallback(ctx: AppContext): RequestHandler {
  return async (req, res) => {
    const state = singleParam(req, 'state', 512, STATE_CHARSET);
    if (!state.ok || state.value === undefined) throw invalidCallback('The link has no valid state.');
    const flow = await ctx.states.take(state.value, req.session.flowBinding ?? '');
    if (!flow) throw invalidCallback('This sign-in was not started in this browser session, or has expired.');

    const flowName = flow.kind === 'organization' ? 'Organization Connect' : 'Individual Connect';
    ctx.inspector.nameFlow(req, flowName);
    const code = singleParam(req, 'code', 1024, CODE_CHARSET);
    const error = singleParam(req, 'error', 64, ERROR_CHARSET);
    ctx.inspector.record(
      req,
      'Callback received; state matches this session',
      { state: mask(state.value), code: code.ok ? mask(code.value) : 'malformed', error: error.ok ? error.value : 'malformed' },
      flowName,
    );
    if (!error.ok) throw invalidCallback('The answer from Cronofy was malformed.', flow.kind);
    if (error.value === 'access_denied') {
      res.status(200).render('declined', { kind: flow.kind });
      return;
    }
    if (error.value !== undefined) {
      throw new PageError(
        error.value === 'server_error' || error.value === 'temporarily_unavailable' ? 503 : 400,
        'Cronofy could not complete the connection',
        `${ERROR_MESSAGES[error.value] ?? 'Cronofy reported an error.'} (Cronofy's error code: ${error.value})`,
        [startAgain(flow.kind)],
      );
    }

    if (!code.ok || code.value === undefined) throw invalidCallback('The answer from Cronofy has no valid code.', flow.kind);
    const codeValue = code.value;

    const { connection } = await withBrowserLock(ctx.kv, req.session.flowBinding ?? '', flow.kind, async () => {
      ctx.inspector.record(
        req,
        'Token request: POST /oauth/token',
        { grant_type: 'authorization_code', code: mask(codeValue), redirect_uri: flow.redirect_uri, client_secret: '(sent, not shown)' },
        flowName,
      );
      const answer = await exchange(ctx, flow, codeValue);
      return keepGrant(ctx, req, flow, answer);
    });
    ctx.inspector.record(
      req,
      'Token response stored server-side; session id regenerated',
      {
        access_token: mask(connection.access_token),
        refresh_token: mask(connection.refresh_token),
        'expires at': new Date(connection.expires_at).toISOString(),
        scope: connection.scope,
        account_id: connection.account_id,
        sub: connection.sub,
        'linking profile': connection.linking_profile ? `${connection.linking_profile.profile_name} (${connection.linking_profile.provider_name})` : undefined,
      },
      flowName,
    );
    res.redirect(flow.kind === 'organization' ? '/organization' : '/calendars');
  };
}

/** The code, exchanged once. Before this answer no grant exists; after it, keepGrant holds or revokes it. */
async function exchange(ctx: AppContext, flow: PendingFlow, code: string): Promise<TokenResponse> {
  try {
    return await ctx.clientFor(flow.data_center).requestAccessToken({ code, redirect_uri: flow.redirect_uri });
  } catch (err) {
    if (err instanceof CronofyError && err.code === 'invalid_grant') {
      throw new PageError(
        400,
        'Cronofy did not accept this sign-in',
        'The authorization code was already used or has expired, or the redirect URI registered with Cronofy does not match this app (APP_BASE_URL). Start again.',
        [startAgain(flow.kind)],
      );
    }
    throw err;
  }
}
