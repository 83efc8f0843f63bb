// Enterprise Connect (https://docs.cronofy.com/developers/api/enterprise-connect/, docs/emulator.md).
// - GET|POST /enterprise_connect/oauth/authorize: the administrator's consent page. client_id and
//   redirect_uri are checked first (a 400 page, no redirect); then response_type, `scope` (service
//   account scopes only) and `delegated_scope` (required; what people may later be granted) go back
//   to redirect_uri as errors. Allow issues a code for the sample service account.
// - POST /v1/service_account_authorizations: a service-account token with
//   service_account/accounts/manage; a single {email, callback_url, scope, state?} or a batch
//   {service_account_authorizations: [1..50 of them]}, never a mix; each scope within the
//   delegated_scope. 202 with no body; each callback is decided now and POSTed later, signed.
// - The callback: {"authorization":{"code"}} for a person of the service account's domain, the code
//   bound to redirect_uri = that callback_url; otherwise {"authorization":{"error","error_key",
//   "error_description"}}. Field values and whether `state` is echoed are unconfirmed: the
//   emulator does not echo it.
// - A person authorized this way gets Extended Permissions at once ({"accepted": true}) only when
//   the service account was granted service_account/accounts/unrestricted_access: "the extended
//   permissions will be granted provided the relevant scope has been granted to the account" (Ruby
//   SDK docstring; which scope is relevant is our inference). Without it they are asked like any
//   account (an approval URL): what Cronofy answers then is unconfirmed.
// - GET /v1/userinfo for a service account: the documented nested form.
import { pagePolicy, registeredRedirectUri } from './authorize';
import { actorOf } from './bearer';
import { bodyOf, one, withQuery, type EmulatorContext, type Errors, type Handler } from './context';
import { forbidden, invalid, PageError } from './errors';
import type { SeedServiceAccount } from './enterprise-seed';
import { describeScope, ORGANIZATION_SCOPE, parseScope } from './scopes';
import type { Grant } from './state';

export const SERVICE_ACCOUNT_SCOPES: Record<string, string> = {
  'service_account/accounts/manage': "Ask for access to the calendars of your domain's people",
  'service_account/accounts/unrestricted_access': "Give itself unrestricted access to your people's calendars",
  'service_account/resources/manage': "Ask for access to your domain's resource calendars (rooms)",
  'service_account/resources/unrestricted_access': 'Give itself unrestricted access to resource calendars',
};
const MANAGE_ACCOUNTS = 'service_account/accounts/manage';
const UNRESTRICTED_ACCESS = 'service_account/accounts/unrestricted_access';
const MAX_BATCH = 50;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/;

type Checked = { ok: true; redirectUri: string; scopes: string[]; delegatedScopes: string[]; state?: string } | { ok: false; redirect: string };

function check(ctx: EmulatorContext, params: Record<string, unknown>): Checked {
  const redirectUri = registeredRedirectUri(ctx, params);
  const state = one(params.state);
  const fail = (error: string, description: string): Checked => ({ ok: false, redirect: withQuery(redirectUri, { error, error_description: description, state }) });
  if (one(params.response_type) !== 'code') return fail('unsupported_response_type', 'response_type must be code');
  const scopes = [...new Set((one(params.scope) ?? '').split(' ').filter(Boolean))];
  if (scopes.length === 0 || scopes.some((s) => !(s in SERVICE_ACCOUNT_SCOPES))) {
    return fail('invalid_scope', `scope must be one or more of ${Object.keys(SERVICE_ACCOUNT_SCOPES).join(', ')}`);
  }
  const delegated = parseScope(one(params.delegated_scope));
  if (!delegated.ok || delegated.scopes.includes(ORGANIZATION_SCOPE)) {
    return fail('invalid_scope', `delegated_scope: ${delegated.ok ? `${ORGANIZATION_SCOPE} cannot be delegated` : delegated.reason}`);
  }
  return { ok: true, redirectUri, scopes, delegatedScopes: delegated.scopes, state };
}

export function serviceAccountUserInfo(serviceAccount: SeedServiceAccount, grant: Grant) {
  const delegated = grant.subject.kind === 'service_account' ? grant.subject.delegatedScopes : [];
  return {
    sub: serviceAccount.sub,
    'cronofy.type': 'service_account',
    'cronofy.data': {
      service_account: { provider_name: serviceAccount.provider_name, domain: serviceAccount.domain },
      authorization: { scope: grant.scopes.join(' '), status: 'active', delegated_scope: delegated.join(' ') },
    },
    email: serviceAccount.email,
  };
}

interface AuthorizationRequest {
  email: string;
  callback_url: string;
  scope: string[];
  state?: string;
}

/** The single or batch body, each entry checked; 422 errors in Cronofy's shape otherwise. */
function parseRequests(body: Record<string, unknown>, delegated: string[]): { requests: AuthorizationRequest[] } | { errors: Errors } {
  const batch = body.service_account_authorizations;
  const single = ['email', 'callback_url', 'scope', 'state'].some((k) => k in body);
  if (batch !== undefined && single) {
    return { errors: { service_account_authorizations: [{ key: 'errors.invalid', description: 'a mix of single and collection formats is not permitted' }] } };
  }
  const entries: unknown[] = batch === undefined ? [body] : Array.isArray(batch) ? batch : [];
  if (entries.length === 0 || entries.length > MAX_BATCH) {
    return { errors: { service_account_authorizations: [{ key: 'errors.invalid', description: `a batch holds 1 to ${MAX_BATCH} requests` }] } };
  }
  const errors: Errors = {};
  const requests: AuthorizationRequest[] = [];
  for (const entry of entries) {
    const item = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const email = one(item.email);
    const callbackUrl = one(item.callback_url);
    const scope = (one(item.scope) ?? '').split(' ').filter(Boolean);
    const state = item.state === undefined ? undefined : one(item.state);
    if (!email || !EMAIL.test(email)) errors.email = [{ key: 'errors.invalid', description: 'email must be an email address' }];
    if (!callbackUrl || !URL.canParse(callbackUrl) || !/^https?:$/.test(new URL(callbackUrl).protocol)) {
      errors.callback_url = [{ key: 'errors.invalid', description: 'callback_url must be an absolute http(s) URL' }];
    }
    if (scope.length === 0) errors.scope = [{ key: 'errors.required', description: 'scope is required' }];
    else if (scope.some((s) => !delegated.includes(s))) {
      errors.scope = [{ key: 'errors.invalid', description: `scope must be within the delegated_scope granted (${delegated.join(' ')})` }];
    }
    if (item.state !== undefined && state === undefined) errors.state = [{ key: 'errors.invalid', description: 'state must be a string' }];
    if (email && callbackUrl && scope.length > 0) requests.push({ email, callback_url: callbackUrl, scope, state });
  }
  return Object.keys(errors).length > 0 ? { errors } : { requests };
}

export const showAdministratorConsent: Handler = (ctx, req, res) => {
  const checked = check(ctx, req.query);
  if (!checked.ok) return res.redirect(checked.redirect);
  const hidden: Record<string, string> = {
    response_type: 'code',
    client_id: ctx.clientId,
    redirect_uri: checked.redirectUri,
    scope: checked.scopes.join(' '),
    delegated_scope: checked.delegatedScopes.join(' '),
  };
  if (checked.state !== undefined) hidden.state = checked.state;
  res.setHeader('Content-Security-Policy', pagePolicy(checked.redirectUri));
  res.render('enterprise-consent', {
    applicationName: ctx.applicationName,
    serviceAccount: ctx.state.world.serviceAccount,
    hidden,
    scopes: checked.scopes.map((s) => SERVICE_ACCOUNT_SCOPES[s] ?? s),
    // The administrator reads what each person's grant allows: "their" calendars, not "your".
    delegated: checked.delegatedScopes.map((scope) => describeScope(scope).replace(/\byour\b/g, 'their')),
    returnOrigin: new URL(checked.redirectUri).origin,
  });
};

export const answerAdministratorConsent: Handler = (ctx, req, res) => {
  const body = bodyOf(req);
  const checked = check(ctx, body);
  if (!checked.ok) return res.redirect(checked.redirect);
  const decision = one(body.decision);
  if (decision === 'deny') return res.redirect(withQuery(checked.redirectUri, { error: 'access_denied', state: checked.state }));
  const serviceAccount = ctx.state.world.serviceAccount;
  if (decision !== 'allow' || one(body.account) !== serviceAccount.sub) {
    throw new PageError({ status: 400, heading: 'Choose the domain', text: 'Go back, pick the domain and press Allow or Deny.' });
  }
  const code = ctx.state.issueCode({ kind: 'service_account', serviceAccount, delegatedScopes: checked.delegatedScopes }, checked.redirectUri, checked.scopes);
  res.redirect(withQuery(checked.redirectUri, { code, state: checked.state }));
};

export const requestServiceAccountAuthorizations: Handler = (ctx, req, res) => {
  const actor = actorOf(res);
  if (actor.kind !== 'service_account' || !actor.grant.scopes.includes(MANAGE_ACCOUNTS)) {
    throw forbidden(`This call needs a service account token with ${MANAGE_ACCOUNTS}`);
  }
  const delegated = actor.grant.subject.kind === 'service_account' ? actor.grant.subject.delegatedScopes : [];
  const parsed = parseRequests(bodyOf(req), delegated);
  if ('errors' in parsed) throw invalid(parsed.errors);
  const unrestricted = actor.grant.scopes.includes(UNRESTRICTED_ACCESS);
  for (const request of parsed.requests) ctx.callbacks.send(request.callback_url, { authorization: decide(ctx, actor.serviceAccount, request, unrestricted) });
  res.status(202).end();
};

function decide(ctx: EmulatorContext, serviceAccount: SeedServiceAccount, request: AuthorizationRequest, unrestricted: boolean): Record<string, string> {
  const email = request.email.toLowerCase();
  if (!email.endsWith(`@${serviceAccount.domain}`)) {
    return {
      error: 'access_denied',
      error_key: 'not_in_domain',
      error_description: `${request.email} is not in ${serviceAccount.domain}, the domain this service account manages.`,
    };
  }
  const person = serviceAccount.people.find((p) => p.email.toLowerCase() === email);
  if (!person) {
    return {
      error: 'access_denied',
      error_key: 'account_not_found',
      error_description: `${serviceAccount.domain} has no calendar account for ${request.email}.`,
    };
  }
  ctx.state.authorizedByServiceAccount(person, unrestricted);
  return { code: ctx.state.issueCode({ kind: 'account', account: person }, request.callback_url, request.scope) };
}
