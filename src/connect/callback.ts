// GET /oauth/callback: the one redirect URI of every connect flow. In this order:
// 1. check state: a single sane string, pending for *this* session, unexpired; consumed at once.
//    Anything else is a 400 page and no token request (RFC 9700 §2.1, §4.2.4).
// 2. check error: the person declined (access_denied) or Cronofy reported a problem. Checked only
//    after the state, so a forged "declined" link changes nothing.
// 3. exchange: the `code`, once, at the data center recorded with the flow, with the same redirect_uri.
// 4. store: the tokens go to the token store and the session id is regenerated;
// 5. replace previous: the push channel moves to the new connection (push/channels.ts), and an
//    earlier connection of the same kind is revoked. The browser is then sent
//    on with a 302 so the code never sits in the address bar of a rendered page.
import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { AppContext } from '../context';
import type { Connection, ConnectionKind } from '../connections/connection';
import { CronofyError } from '../cronofy/errors';
import { revokeGrant } from '../connections/revoke';
import { connectionIds, connectionOf, flowBindingOf, regenerateSession } from '../session/access';
import { PageError, invalidCallback, startAgain } from '../web/errors';
import { CODE_CHARSET, ERROR_CHARSET, STATE_CHARSET, singleParam } from '../web/params';
import type { PendingFlow } from '../connections/state-store';
import { mask } from '../inspector/mask';
import { flowKind, flowOutcome } from '../metrics/flows';
import { releaseServiceAccount } from '../enterprise/release';

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
      res.status(200).render('declined', { kind: flow.kind });
      return;
    }
    const connection = await exchange(ctx, req, flow, answer.code);
    const previous = await store(ctx, req, connection);
    await replacePushChannel(ctx, connection, previous);
    await replacePrevious(ctx, flow.kind, previous);
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

/**
 * 4. The tokens into the token store and a new session id holding the connection; the id of the
 * connection of the same kind this one replaces, if any. When either write fails nobody can use the
 * tokens, so they are given back to Cronofy.
 */
async function store(ctx: AppContext, req: Request, connection: Connection): Promise<string | undefined> {
  const previous = connectionOf(req, connection.kind);
  try {
    await ctx.tokens.create(connection);
    await regenerateSession(req, {
      connections: { ...connectionIds(req), [connection.kind]: connection.id },
      flash: { kind: 'info', text: connectedMessage(connection) },
    });
  } catch (err) {
    await ctx.tokens.remove(connection.id).catch(() => undefined);
    await revokeGrant(ctx.clientFor, connection, 'not stored', ctx.logger);
    throw err;
  }
  return previous;
}

/** 5. Connecting again replaces the earlier connection of this kind: its grant goes back to Cronofy. */
/** 5a. The replaced connection's push channel closes and this one's opens; push problems never fail a connect. */
async function replacePushChannel(ctx: AppContext, connection: Connection, previousId: string | undefined): Promise<void> {
  try {
    const old = previousId ? await ctx.tokens.get(previousId) : null;
    if (old) await ctx.push.channels.close(old.connection);
    await ctx.push.channels.open(connection);
  } catch (err) {
    ctx.logger.warn({ err }, 'push channel not opened');
  }
}

async function replacePrevious(ctx: AppContext, kind: ConnectionKind, previous: string | undefined): Promise<void> {
  if (!previous) return;
  // A replaced service account takes the people authorized through it along (enterprise/release.ts).
  if (kind === 'enterprise') return void (await releaseServiceAccount(ctx, previous).catch(() => undefined));
  const old = await ctx.tokens.take(previous).catch(() => null);
  if (old) await revokeGrant(ctx.clientFor, old.connection, 'replaced', ctx.logger);
}

/** 3. The code, exchanged once at the data center recorded with the flow, with the same redirect_uri. */
async function exchange(ctx: AppContext, req: Request, flow: PendingFlow, code: string): Promise<Connection> {
  ctx.inspector.record(
    req,
    'Token request: POST /oauth/token',
    { grant_type: 'authorization_code', code: mask(code), redirect_uri: flow.redirect_uri, client_secret: '(sent, not shown)' },
    flowNameOf(flow),
  );
  let answer;
  try {
    answer = await ctx.clientFor(flow.data_center).requestAccessToken({ code, redirect_uri: flow.redirect_uri });
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
  if (!answer.refresh_token) throw new CronofyError('unexpected', 'The token answer had no refresh_token');

  const now = ctx.now();
  const connection: Connection = {
    id: randomBytes(16).toString('hex'),
    kind: flow.kind,
    data_center: flow.data_center,
    access_token: answer.access_token,
    refresh_token: answer.refresh_token,
    expires_at: now + answer.expires_in * 1000,
    scope: answer.scope,
    account_id: answer.account_id,
    sub: answer.sub,
    linking_profile: answer.linking_profile,
    service_account_id: answer.service_account_id,
    connected_at: now,
  };
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
  return connection;
}

function connectedMessage(connection: Connection): string {
  if (connection.kind === 'organization') return 'Your organization is connected.';
  if (connection.kind === 'enterprise') return 'The service account is connected: you can now authorize people by email.';
  const profile = connection.linking_profile;
  return profile ? `Connected ${profile.profile_name} (${profile.provider_name}).` : 'Your calendar is connected.';
}
