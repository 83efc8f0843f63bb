// GET /oauth/callback: the one redirect URI of every connect flow. In this order:
// 1. check state: a single sane string, pending for *this* session, unexpired; consumed at once.
//    Anything else is a 400 page and no token request (RFC 9700 §2.1, §4.2.4).
// 2. check error: the person declined (access_denied) or Cronofy reported a problem. Checked only
//    after the state, so a forged "declined" link changes nothing.
// 3. one callback per browser: steps 4-5 hold this browser's callback lock (browser-lock.ts), so
//    two tabs finishing at once never both exchange a code.
// 4. exchange: the `code`, once, at the data center recorded with the flow, with the same redirect_uri.
// 5. keep or give back (keep-grant.ts): from here a grant exists at Cronofy, and every step runs
//    inside one guard that revokes on failure: check the answer, store by Cronofy account, renew
//    the session id and flow binding, replace the previous connection. The browser is then sent on
//    with a 302 so the code never sits in the address bar of a rendered page.
import type { Request, RequestHandler } from 'express';
import type { AppContext } from '../context';
import type { Connection, ConnectionKind } from '../connections/connection';
import { CronofyError } from '../cronofy/errors';
import type { TokenResponse } from '../cronofy/types';
import { flowBindingOf } from '../session/access';
import { PageError, invalidCallback, startAgain } from '../web/errors';
import { CODE_CHARSET, ERROR_CHARSET, STATE_CHARSET, singleParam } from '../web/params';
import type { PendingFlow } from '../connections/state-store';
import { mask } from '../inspector/mask';
import { flowKind, flowOutcome } from '../metrics/flows';
import { withBrowserLock } from './browser-lock';
import { keepGrant } from './keep-grant';

const FLOW_NAMES: Record<ConnectionKind, string> = { individual: 'Individual Connect', organization: 'Organization Connect', enterprise: 'Enterprise Connect' };
const LANDING: Record<ConnectionKind, string> = { individual: '/calendars', organization: '/organization', enterprise: '/enterprise' };

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
    const flow = await checkState(ctx, req);
    flowKind(res, flow.kind);
    const answer = checkError(ctx, req, flow);
    if (answer.declined) {
      flowOutcome(res, 'declined');
      // Declined while adding a calendar account (a link token): trying again starts on the
      // calendars page, which asks for a new link token, not as a separate connection.
      res.status(200).render('declined', { kind: flow.kind, retry: flow.adding_account ? { href: '/calendars', label: 'Back to your calendars' } : { href: `/connect/${flow.kind}`, label: 'Try again' } });
      return;
    }
    const { connection } = await withBrowserLock(ctx.kv, flowBindingOf(req), flow.kind, async () => {
      const tokens = await exchange(ctx, req, flow, answer.code);
      return keepGrant(ctx, req, flow, tokens);
    });
    recordKept(ctx, req, flow, connection);
    flowOutcome(res, 'connected');
    res.redirect(LANDING[flow.kind]);
  };
}

const flowNameOf = (flow: PendingFlow) => FLOW_NAMES[flow.kind];

/** 1. A single sane `state`, pending for this session and unexpired; consumed whatever happens next. */
async function checkState(ctx: AppContext, req: Request): Promise<PendingFlow & { state: string }> {
  const state = singleParam(req, 'state', 512, STATE_CHARSET);
  if (!state.ok || state.value === undefined) throw invalidCallback('The link has no valid state.');
  const flow = await ctx.states.take(state.value, flowBindingOf(req));
  if (!flow) throw invalidCallback('This sign-in was not started in this browser session, or has expired.');
  ctx.inspector.nameFlow(req, flowNameOf(flow));
  return { ...flow, state: state.value };
}

/** 2. Cronofy's `error`, if any: declined, or a problem with a page; otherwise the `code`. */
function checkError(
  ctx: AppContext,
  req: Request,
  flow: PendingFlow & { state: string },
): { declined: true } | { declined: false; code: string } {
  const code = singleParam(req, 'code', 1024, CODE_CHARSET);
  const error = singleParam(req, 'error', 64, ERROR_CHARSET);
  ctx.inspector.record(
    req,
    'Callback received; state matches this session',
    { state: mask(flow.state), code: code.ok ? mask(code.value) : 'malformed', error: error.ok ? error.value : 'malformed' },
    flowNameOf(flow),
  );
  if (!error.ok) throw invalidCallback('The answer from Cronofy was malformed.', flow.kind);
  if (error.value === 'access_denied') return { declined: true };
  if (error.value !== undefined) {
    throw new PageError({
      status: error.value === 'server_error' || error.value === 'temporarily_unavailable' ? 503 : 400,
      code: 'authorization_error',
      title: 'Cronofy could not complete the connection',
      message: `${ERROR_MESSAGES[error.value] ?? 'Cronofy reported an error.'} (Cronofy's error code: ${error.value})`,
      next: [startAgain(flow.kind)],
    });
  }
  if (!code.ok || code.value === undefined) throw invalidCallback('The answer from Cronofy has no valid code.', flow.kind);
  return { declined: false, code: code.value };
}

/** 4. The code, exchanged once at the data center recorded with the flow. Before this answer no grant exists. */
async function exchange(ctx: AppContext, req: Request, flow: PendingFlow, code: string): Promise<TokenResponse> {
  ctx.inspector.record(
    req,
    'Token request: POST /oauth/token',
    { grant_type: 'authorization_code', code: mask(code), redirect_uri: flow.redirect_uri, client_secret: '(sent, not shown)' },
    flowNameOf(flow),
  );
  try {
    return await ctx.clientFor(flow.data_center).requestAccessToken({ code, redirect_uri: flow.redirect_uri });
  } catch (err) {
    if (err instanceof CronofyError && err.code === 'invalid_grant') {
      throw new PageError({
        status: 400,
        code: 'code_rejected',
        title: 'Cronofy did not accept this sign-in',
        message: 'The authorization code was already used or has expired, or the redirect URI registered with Cronofy does not match this app (APP_BASE_URL). Start again.',
        next: [startAgain(flow.kind)],
      });
    }
    throw err;
  }
}

function recordKept(ctx: AppContext, req: Request, flow: PendingFlow, connection: Connection): void {
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
      service_account_id: connection.service_account_id,
      'linking profile': connection.linking_profile ? `${connection.linking_profile.profile_name} (${connection.linking_profile.provider_name})` : undefined,
    },
    flowNameOf(flow),
  );
}
