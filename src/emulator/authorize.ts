// The "app" role: GET /oauth/authorize shows the consent page, POST answers it.
// - client_id and redirect_uri are checked first; if either is wrong there is nowhere safe to send
//   the person, so they get a 400 page and no redirect (RFC 6749 §4.1.2.1).
// - Other problems (response_type, scope) and Deny go back to redirect_uri with `error` and `state`.
// - The form carries the request in hidden fields and the POST checks it all again. The one cookie
//   is the linking cookie (linking.ts); avoid_linking=true leaves it alone.
import type { Request } from 'express';
import { bodyOf, one, withQuery, type EmulatorContext, type EmulatorResponse, type Handler } from './context';
import { PageError } from './errors';
import { linkingParams, preselected } from './link-tokens';
import { describeScope, ORGANIZATION_SCOPE, parseScope } from './scopes';
import type { Subject } from './state';

type Checked = { ok: true; redirectUri: string; scopes: string[]; state?: string; avoidLinking: boolean } | { ok: false; redirect: string };

/**
 * The redirect URI a request may be sent back to: client_id and redirect_uri must name the
 * registered application, or there is nowhere safe to send the person (a 400 page, no redirect).
 * Enterprise Connect's page checks them the same way.
 */
export function registeredRedirectUri(ctx: EmulatorContext, params: Record<string, unknown>): string {
  if (one(params.client_id) !== ctx.clientId) {
    throw new PageError({ status: 400, heading: 'Unknown application', text: 'client_id does not name an application registered with this Cronofy. Check CRONOFY_CLIENT_ID.' });
  }
  const redirectUri = one(params.redirect_uri);
  if (redirectUri === undefined || !ctx.redirectUris.includes(redirectUri)) {
    throw new PageError({
      status: 400,
      heading: 'Redirect URI not registered',
      text: `redirect_uri must be exactly one of the application's registered redirect URIs (${ctx.redirectUris.join(', ')}).`,
    });
  }
  return redirectUri;
}

function check(ctx: EmulatorContext, params: Record<string, unknown>): Checked {
  const redirectUri = registeredRedirectUri(ctx, params);
  const state = one(params.state);
  if (one(params.response_type) !== 'code') {
    return { ok: false, redirect: withQuery(redirectUri, { error: 'unsupported_response_type', error_description: 'response_type must be code', state }) };
  }
  const scope = parseScope(one(params.scope));
  if (!scope.ok) return { ok: false, redirect: withQuery(redirectUri, { error: 'invalid_scope', error_description: scope.reason, state }) };
  // SDKs send true/false in any case, and pycronofy always sends False (lifecycle notes, "Account linking").
  return { ok: true, redirectUri, scopes: scope.scopes, state, avoidLinking: one(params.avoid_linking)?.toLowerCase() === 'true' };
}

function choicesFor(ctx: EmulatorContext, organization: boolean): { id: string; label: string; detail: string; subject: Subject }[] {
  const { world } = ctx.state;
  if (organization) {
    const org = world.organization;
    const owner = org.members[0]?.account.email ?? '';
    return [{ id: org.sub, label: `${org.name} (organizational unit)`, detail: `${org.members.length} members; you sign in as its owner ${owner}`, subject: { kind: 'organization', organization: org } }];
  }
  return world.accounts.map((account) => ({
    id: account.account_id,
    label: account.label,
    detail: `${account.email}, ${account.profiles.reduce((n, p) => n + p.calendars.length, 0)} calendars`,
    subject: { kind: 'account', account },
  }));
}

export const showConsent: Handler = (ctx, req, res) => {
  const checked = check(ctx, req.query);
  if (!checked.ok) return res.redirect(checked.redirect);
  const organization = checked.scopes.includes(ORGANIZATION_SCOPE);
  const linking = linkingParams(ctx, req.query);
  if ('error' in linking) return res.redirect(withQuery(checked.redirectUri, { error: 'invalid_request', error_description: linking.error, state: checked.state }));
  const hidden: Record<string, string> = { response_type: 'code', client_id: ctx.clientId, redirect_uri: checked.redirectUri, scope: checked.scopes.join(' '), ...linking.hidden };
  if (checked.state !== undefined) hidden.state = checked.state;
  if (checked.avoidLinking) hidden.avoid_linking = 'true';
  res.setHeader('Content-Security-Policy', pagePolicy(checked.redirectUri));
  const choices = choicesFor(ctx, organization);
  res.render('consent', {
    applicationName: ctx.applicationName,
    organization,
    hidden,
    choices,
    preselected: preselected(choices, linking.providerName),
    linkingInto: linking.into?.email,
    scopes: checked.scopes.map(describeScope),
    returnOrigin: new URL(checked.redirectUri).origin,
  });
};

export const answerConsent: Handler = (ctx, req, res) => {
  const body = bodyOf(req);
  const checked = check(ctx, body);
  if (!checked.ok) return res.redirect(checked.redirect);
  const decision = one(body.decision);
  if (decision === 'deny') return res.redirect(withQuery(checked.redirectUri, { error: 'access_denied', state: checked.state }));
  const choice = choicesFor(ctx, checked.scopes.includes(ORGANIZATION_SCOPE)).find((c) => c.id === one(body.account));
  if (decision !== 'allow' || !choice) throw new PageError({ status: 400, heading: 'Choose an account', text: 'Go back, pick one of the accounts and press Allow or Deny.' });
  const linking = linkingParams(ctx, body);
  if ('error' in linking) return res.redirect(withQuery(checked.redirectUri, { error: 'invalid_request', error_description: linking.error, state: checked.state }));
  const code = issueCode(ctx, req, res, { choice: choice.subject, redirectUri: checked.redirectUri, scopes: checked.scopes, linkToken: linking.hidden.link_token, avoidLinking: checked.avoidLinking });
  if (code === undefined) {
    return res.redirect(withQuery(checked.redirectUri, { error: 'invalid_request', error_description: 'link_token is unknown, used or expired', state: checked.state }));
  }
  res.redirect(withQuery(checked.redirectUri, { code, state: checked.state }));
};

/** The code an Allow earns: linked into a link_token's account, or by the browser's cookie; undefined when the link_token is spent. */
function issueCode(
  ctx: EmulatorContext,
  req: Request,
  res: EmulatorResponse,
  allowed: { choice: Subject; redirectUri: string; scopes: string[]; linkToken: string | undefined; avoidLinking: boolean },
): string | undefined {
  const { choice, redirectUri, scopes } = allowed;
  if (allowed.linkToken !== undefined && choice.kind === 'account') {
    // Explicit linking (link-tokens.ts): the chosen account joins the token's account.
    const linked = ctx.linkTokens.link(allowed.linkToken, choice.account);
    if (!linked) return undefined;
    return ctx.state.issueCode(linked, redirectUri, scopes, linked.kind === 'account' ? linked.linkingProfile : undefined);
  }
  // Implicit linking by the browser's cookie (linking.ts), unless avoid_linking.
  const subject = ctx.state.linking.subjectFor(req, res, choice, allowed.avoidLinking);
  const linkingProfile = choice.kind === 'account' ? choice.account.profiles[0] : undefined;
  return ctx.state.issueCode(subject, redirectUri, scopes, linkingProfile);
}

/** A page's form posts here, then the answer redirects to the application: form-action must allow both (browsers check redirects too). */
export const pagePolicy = (redirectUri?: string): string =>
  `default-src 'none'; style-src 'self'; form-action 'self'${redirectUri ? ` ${new URL(redirectUri).origin}` : ''}; frame-ancestors 'none'; base-uri 'none'`;
