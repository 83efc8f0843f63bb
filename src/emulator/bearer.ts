// Who is calling /v1/*: the Bearer token's grant, or a member of its organizational unit when the
// request carries Cronofy-Impersonate (docs/cronofy-notes.md, Organization Connect).
// - No token: 401 with `WWW-Authenticate: Bearer realm="Cronofy"`; unknown, expired or revoked:
//   401 with error="invalid_token" (RFC 6750 §3.1; Cronofy's own 401 shape is unconfirmed, docs/cronofy-notes.md U1).
// - Cronofy-Impersonate on a token that is not an organization's, or naming a sub outside the
//   unit: 403. An impersonated member's calendars and events are open to the organization's token:
//   "For all requests that pertain to a specific user, eg: Create or Update Event, an additional
//   Cronofy-Impersonate header is used" (https://docs.cronofy.com/developers/authorization/organization-connect/).
// - A capability the token's scope lacks: 403 (RFC 6750 error="insufficient_scope").
// - The Internal Application key may call only what Cronofy lists for Internal Applications: List
//   Organizational Unit Members, Create and Cancel Scheduling Request
//   (https://docs.cronofy.com/developers/application-management/internal-applications/). The
//   emulator serves only the first (scheduling requests are not emulated: 404). Any other /v1/*
//   call with it: 403, the documented status for recognized credentials lacking the privilege
//   (that Cronofy answers so is unconfirmed, docs/cronofy-notes.md U14).
// The actor is kept in res.locals for the handler (actorOf).
import type { NextFunction, Request } from 'express';
import type { EmulatorContext, EmulatorResponse } from './context';
import { ApiError, forbidden } from './errors';
import { allows, type Capability } from './scopes';
import type { SeedServiceAccount } from './enterprise-seed';
import type { SeedAccount, SeedOrganization } from './seed';
import type { Grant } from './state';

export type Actor =
  | { kind: 'account'; account: SeedAccount; grant: Grant; impersonatedBy?: SeedOrganization }
  | { kind: 'organization'; organization: SeedOrganization; grant: Grant }
  | { kind: 'service_account'; serviceAccount: SeedServiceAccount; grant: Grant };

export function actorOf(res: EmulatorResponse): Actor {
  const { actor } = res.locals;
  if (!actor) throw new Error('bearer middleware did not run');
  return actor;
}

/** The Internal Application's standing grant on the organizational unit (configuration, not memory: reset keeps it). */
export function internalApplicationGrant(organization: SeedOrganization): Grant {
  return { subject: { kind: 'organization', organization }, scopes: ['organizational_unit_scheduler'], revoked: false, refreshToken: '' };
}

/** Paths (under /v1) an Internal Application may call: the members list and the Scheduling Requests endpoints. */
const INTERNAL_APPLICATION_PATHS = /^\/(organizational_unit_members|scheduling_requests)(\/|$)/;

const unauthorized = (wwwAuthenticate: string, error: string) =>
  new ApiError({ status: 401, body: { error }, headers: { 'WWW-Authenticate': wwwAuthenticate } });

function actorFor(grant: Grant): Actor {
  const { subject } = grant;
  if (subject.kind === 'account') return { kind: 'account', account: subject.account, grant };
  if (subject.kind === 'organization') return { kind: 'organization', organization: subject.organization, grant };
  return { kind: 'service_account', serviceAccount: subject.serviceAccount, grant };
}

export function bearer(ctx: EmulatorContext) {
  return (req: Request, res: EmulatorResponse, next: NextFunction): void => {
    const match = /^Bearer ([^\s]+)$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1]) throw unauthorized('Bearer realm="Cronofy"', 'unauthorized');
    // An Internal Application authenticates with its client secret
    // (https://docs.cronofy.com/developers/api-alpha/organizational-unit-members/). It is its own
    // application, configured apart: the connecting application's client secret is no API key.
    const internal = ctx.internalApplicationKey !== undefined && ctx.internalApplicationKey !== '' && match[1] === ctx.internalApplicationKey;
    const grant = internal ? ctx.internalGrant : ctx.state.authenticate(match[1]);
    if (!grant) {
      throw unauthorized('Bearer realm="Cronofy", error="invalid_token", error_description="The access token is unknown, expired or revoked"', 'invalid_token');
    }
    if (internal && !INTERNAL_APPLICATION_PATHS.test(req.path)) {
      throw forbidden(
        "An Internal Application may call only List Organizational Unit Members and the Scheduling Requests endpoints; for other calls use the Organizational Unit's access token (with Cronofy-Impersonate for a member)",
      );
    }
    const impersonate = req.get('cronofy-impersonate');
    if (impersonate === undefined) {
      res.locals.actor = actorFor(grant);
      return next();
    }
    if (grant.subject.kind !== 'organization') throw forbidden('Cronofy-Impersonate needs an Organizational Unit token');
    const organization = grant.subject.organization;
    const member = organization.members.find((m) => m.account.account_id === impersonate);
    if (!member) throw forbidden('Cronofy-Impersonate names no member of this Organizational Unit');
    res.locals.actor = { kind: 'account', account: member.account, grant, impersonatedBy: organization };
    next();
  };
}

/** The account acting, with the capability; otherwise a 403. */
export function accountWith(res: EmulatorResponse, capability: Capability | null): SeedAccount {
  const actor = actorOf(res);
  if (actor.kind === 'account' && (capability === null || actor.impersonatedBy || allows(actor.grant.scopes, capability))) return actor.account;
  const needs =
    actor.kind === 'organization'
      ? 'an account token (or Cronofy-Impersonate with a member sub)'
      : actor.kind === 'service_account'
        ? "an account token (a service account acts through the people's own tokens)"
        : `a scope granting ${capability ?? 'this'}`;
  throw forbidden(`This call needs ${needs}`, { insufficientScope: true });
}
