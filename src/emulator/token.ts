// POST /oauth/token and POST /oauth/token/revoke (docs/cronofy-notes.md, Tokens; RFC 6749 §5, RFC 7009).
// - JSON or form bodies; the client authenticates with client_id and client_secret in the body and
//   any Authorization header is ignored (cronofy-node sends "Bearer undefined").
// - Errors are RFC 6749 §5.2 JSON: 400 invalid_request / unsupported_grant_type / invalid_grant.
//   Bad client credentials: invalid_client, 401 on /oauth/token (the status Cronofy uses there is
//   unconfirmed, docs/cronofy-notes.md U12; the RFC allows 401) and 400 on /oauth/token/revoke (the
//   C# SDK's test RevokeAuthorizationThrowsCronofyResponseExceptionOnFailure).
// - Token answers carry Cache-Control: no-store and Pragma: no-cache.
import { bodyOf, one, type EmulatorContext, type Handler } from './context';
import { oauthError } from './errors';
import type { IssuedTokens } from './state';

/** The client authenticates with client_id and client_secret in the body; invalid_client with `status` otherwise. */
function authenticate(ctx: EmulatorContext, body: Record<string, unknown>, status: 400 | 401): void {
  if (one(body.client_id) !== ctx.clientId || one(body.client_secret) !== ctx.clientSecret) {
    throw oauthError(status, 'invalid_client', 'client_id or client_secret not recognised');
  }
}

function tokenAnswer(ctx: EmulatorContext, tokens: IssuedTokens, withIdentity: boolean) {
  const { subject, scopes } = tokens.grant;
  const answer: Record<string, unknown> = {
    token_type: 'bearer',
    access_token: tokens.access_token,
    expires_in: tokens.grant.ttlSeconds ?? ctx.state.accessTokenTtl,
    refresh_token: tokens.refresh_token,
    scope: scopes.join(' '),
  };
  if (!withIdentity) return answer;
  // Enterprise Connect's documented answer names the service account, and nothing else.
  if (subject.kind === 'service_account') return { ...answer, service_account_id: subject.serviceAccount.sub };
  answer.sub = ctx.state.subOf(subject);
  if (subject.kind === 'account') {
    const profile = tokens.linkingProfile ?? subject.linkingProfile ?? subject.account.profiles[0];
    answer.account_id = subject.account.account_id;
    if (profile) {
      answer.linking_profile = {
        provider_name: profile.provider_name,
        provider_service: profile.provider_service,
        profile_id: profile.profile_id,
        profile_name: profile.profile_name,
      };
    }
  }
  return answer;
}

/** The token a grant type's parameters redeem; invalid_request or invalid_grant when they do not. */
function redeem(ctx: EmulatorContext, grantType: string, body: Record<string, unknown>): IssuedTokens {
  if (grantType === 'authorization_code') {
    const code = one(body.code);
    const redirectUri = one(body.redirect_uri);
    if (!code || !redirectUri) throw oauthError(400, 'invalid_request', 'code and redirect_uri are required');
    const tokens = ctx.state.redeemCode(code, redirectUri);
    if (!tokens) throw oauthError(400, 'invalid_grant', 'The code is unknown, used or expired, or redirect_uri does not match');
    return tokens;
  }
  if (grantType === 'refresh_token') {
    const refreshToken = one(body.refresh_token);
    if (!refreshToken) throw oauthError(400, 'invalid_request', 'refresh_token is required');
    const tokens = ctx.state.refresh(refreshToken);
    if (!tokens) throw oauthError(400, 'invalid_grant', 'The refresh token is unknown or revoked');
    return tokens;
  }
  throw oauthError(400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
}

export const issueToken: Handler = (ctx, req, res) => {
  const body = bodyOf(req);
  const grantType = one(body.grant_type);
  if (!grantType) throw oauthError(400, 'invalid_request', 'grant_type is required');
  authenticate(ctx, body, 401);
  const tokens = redeem(ctx, grantType, body);
  res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(tokenAnswer(ctx, tokens, grantType === 'authorization_code'));
};

export const revokeToken: Handler = (ctx, req, res) => {
  const body = bodyOf(req);
  authenticate(ctx, body, 400);
  // cronofy-node's revokeAuthorization() sends the configured refresh_token, not token; taking it
  // as the token is our reading (unconfirmed, docs/emulator.md). token, then sub, win over it.
  const sub = one(body.sub);
  const token = one(body.token) ?? (sub === undefined ? one(body.refresh_token) : undefined);
  if (token === undefined && sub === undefined) throw oauthError(400, 'invalid_request', 'token or sub is required');
  ctx.state.revoke(token !== undefined ? { token } : { sub });
  res.status(200).end();
};
