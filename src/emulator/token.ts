// POST /oauth/token and POST /oauth/token/revoke (docs/cronofy-notes.md, Tokens; RFC 6749 §5, RFC 7009).
// - JSON or form bodies; the client authenticates with client_id and client_secret in the body and
//   any Authorization header is ignored (cronofy-node sends "Bearer undefined").
// - Errors are RFC 6749 §5.2 JSON: 400 invalid_request / unsupported_grant_type / invalid_grant,
//   401 invalid_client (the status Cronofy uses is unconfirmed, docs/cronofy-notes.md U12; the RFC allows 401).
// - Token answers carry Cache-Control: no-store and Pragma: no-cache.
import { Router, type Request, type Response } from 'express';
import { one, type EmulatorContext } from './context';
import type { IssuedTokens } from './state';

const oauthError = (res: Response, status: number, error: string, description: string) =>
  res.status(status).set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json({ error, error_description: description });

export function tokenRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  const authenticated = (body: Record<string, unknown>): boolean =>
    one(body.client_id) === ctx.clientId && one(body.client_secret) === ctx.clientSecret;

  function tokenAnswer(tokens: IssuedTokens, withIdentity: boolean) {
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

  router.post('/oauth/token', (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const grantType = one(body.grant_type);
    if (!grantType) return void oauthError(res, 400, 'invalid_request', 'grant_type is required');
    if (!authenticated(body)) return void oauthError(res, 401, 'invalid_client', 'client_id or client_secret not recognised');

    let tokens: IssuedTokens | undefined;
    if (grantType === 'authorization_code') {
      const code = one(body.code);
      const redirectUri = one(body.redirect_uri);
      if (!code || !redirectUri) return void oauthError(res, 400, 'invalid_request', 'code and redirect_uri are required');
      tokens = ctx.state.redeemCode(code, redirectUri);
      if (!tokens) return void oauthError(res, 400, 'invalid_grant', 'The code is unknown, used or expired, or redirect_uri does not match');
    } else if (grantType === 'refresh_token') {
      const refreshToken = one(body.refresh_token);
      if (!refreshToken) return void oauthError(res, 400, 'invalid_request', 'refresh_token is required');
      tokens = ctx.state.refresh(refreshToken);
      if (!tokens) return void oauthError(res, 400, 'invalid_grant', 'The refresh token is unknown or revoked');
    } else {
      return void oauthError(res, 400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
    }
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(tokenAnswer(tokens, grantType === 'authorization_code'));
  });

  router.post('/oauth/token/revoke', (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!authenticated(body)) return void oauthError(res, 401, 'invalid_client', 'client_id or client_secret not recognised');
    // cronofy-node's revokeAuthorization() sends the configured refresh_token, not token; taking it
    // as the token is our reading (unconfirmed, docs/emulator.md). token, then sub, win over it.
    const sub = one(body.sub);
    const token = one(body.token) ?? (sub === undefined ? one(body.refresh_token) : undefined);
    if (token === undefined && sub === undefined) return void oauthError(res, 400, 'invalid_request', 'token or sub is required');
    ctx.state.revoke(token !== undefined ? { token } : { sub });
    res.status(200).end();
  });

  return router;
}
