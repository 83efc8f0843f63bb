// GET /oauth/callback: the one redirect URI of every connect flow. In this order:
// 1. `state`: a single sane string, pending for *this* session, unexpired; consumed at once.
//    Anything else is a 400 page and no token request (RFC 9700 §2.1, §4.2.4).
// 2. `error`: the person declined (access_denied) or Cronofy reported a problem. Checked only
//    after the state, so a forged "declined" link changes nothing.
// 3. `code`: exchanged once, at the data center recorded with the flow, with the same redirect_uri.
// 4. The tokens go to the token store, the session id is regenerated, and the browser is sent on
//    with a 302 so the code never sits in the address bar of a rendered page.
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { AppContext } from '../context';
import type { Connection } from '../connections/connection';
import { CronofyError } from '../cronofy/errors';
import { regenerateSession } from '../session/helpers';
import { PageError, invalidCallback, startAgain } from '../web/errors';
import { CODE_CHARSET, ERROR_CHARSET, STATE_CHARSET, singleParam } from './params';
import type { PendingFlow } from './state-store';
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

    ctx.inspector.record(
      req,
      'Token request: POST /oauth/token',
      { grant_type: 'authorization_code', code: mask(code.value), redirect_uri: flow.redirect_uri, client_secret: '(sent, not shown)' },
      flowName,
    );
    const connection = await exchange(ctx, flow, code.value);
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
    const previous = req.session.connections?.[flow.kind];
    try {
      await ctx.tokens.create(connection);
      await regenerateSession(req, {
        connections: { ...req.session.connections, [flow.kind]: connection.id },
        flash: { kind: 'info', text: connectedMessage(connection) },
      });
    } catch (err) {
      // The tokens or the session could not be written: nobody can use these tokens, so give them back.
      await ctx.tokens.remove(connection.id).catch(() => undefined);
      await ctx.clientFor(flow.data_center).revokeAuthorization({ token: connection.refresh_token }).catch(() => undefined);
      throw err;
    }
    await replacePushChannel(ctx, connection, previous);
    // Connecting again replaces the earlier connection of this kind: give its grant back to Cronofy.
    if (previous) {
      const old = await ctx.tokens.take(previous).catch(() => null);
      if (old) {
        await ctx.clientFor(old.connection.data_center).revokeAuthorization({ token: old.connection.refresh_token }).catch(() => undefined);
      }
    }
    res.redirect(flow.kind === 'organization' ? '/organization' : '/calendars');
  };
}

async function exchange(ctx: AppContext, flow: PendingFlow, code: string): Promise<Connection> {
  let answer;
  try {
    answer = await ctx.clientFor(flow.data_center).requestAccessToken({ code, redirect_uri: flow.redirect_uri });
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
    connected_at: now,
  };
  return connection;
}

/** The replaced connection's channel closes and this one's opens; push problems never fail a connect. */
async function replacePushChannel(ctx: AppContext, connection: Connection, previousId: string | undefined): Promise<void> {
  try {
    const old = previousId ? await ctx.tokens.get(previousId) : null;
    if (old) await ctx.push.channels.close(old.connection);
    await ctx.push.channels.open(connection);
  } catch (err) {
    ctx.logger.warn({ err }, 'push channel not opened');
  }
}

function connectedMessage(connection: Connection): string {
  if (connection.kind === 'organization') return 'Your organization is connected.';
  const profile = connection.linking_profile;
  return profile ? `Connected ${profile.profile_name} (${profile.provider_name}).` : 'Your calendar is connected.';
}
