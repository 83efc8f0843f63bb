// Who is calling /v1/*: the Bearer token's grant, or a member of its organizational unit when the
// request carries Cronofy-Impersonate (docs/cronofy-notes.md, Organization Connect).
// - No token: 401 with `WWW-Authenticate: Bearer realm="Cronofy"`; unknown, expired or revoked:
//   401 with error="invalid_token" (RFC 6750 §3.1; Cronofy's own 401 shape is unconfirmed, docs/cronofy-notes.md U1).
// - Cronofy-Impersonate on a token that is not an organization's, or naming a sub outside the
//   unit: 403. An impersonated member's calendars are open to the organization's token (our reading).
// - A capability the token's scope lacks: 403 (RFC 6750 error="insufficient_scope").
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { EmulatorContext } from './context';
import { allows, type Capability } from './scopes';
import type { SeedServiceAccount } from './enterprise-seed';
import type { SeedAccount, SeedOrganization } from './seed';
import type { Grant } from './state';

export type Actor =
  | { kind: 'account'; account: SeedAccount; grant: Grant; impersonatedBy?: SeedOrganization }
  | { kind: 'organization'; organization: SeedOrganization; grant: Grant }
  | { kind: 'service_account'; serviceAccount: SeedServiceAccount; grant: Grant };

const actors = new WeakMap<Request, Actor>();

export function actorOf(req: Request): Actor {
  const actor = actors.get(req);
  if (!actor) throw new Error('bearer middleware did not run');
  return actor;
}

const internalGrants = new WeakMap<EmulatorContext, Grant>();
function internalApplication(ctx: EmulatorContext): Grant {
  let grant = internalGrants.get(ctx);
  if (!grant) {
    grant = { subject: { kind: 'organization', organization: ctx.state.world.organization }, scopes: ['organizational_unit_scheduler'], revoked: false, refreshToken: '' };
    internalGrants.set(ctx, grant);
  }
  return grant;
}

export function bearer(ctx: EmulatorContext): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer ([^\s]+)$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1]) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="Cronofy"').json({ error: 'unauthorized' });
      return;
    }
    // An Internal Application authenticates with its client secret
    // (https://docs.cronofy.com/developers/api-alpha/organizational-unit-members/). It is its own
    // application, configured apart: the connecting application's client secret is no API key.
    const internal = ctx.internalApplicationKey !== undefined && ctx.internalApplicationKey !== '' && match[1] === ctx.internalApplicationKey;
    const grant = internal ? internalApplication(ctx) : ctx.state.authenticate(match[1]);
    if (!grant) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="Cronofy", error="invalid_token", error_description="The access token is unknown, expired or revoked"')
        .json({ error: 'invalid_token' });
      return;
    }
    const impersonate = req.get('cronofy-impersonate');
    if (impersonate === undefined) {
      const { subject } = grant;
      actors.set(
        req,
        subject.kind === 'account'
          ? { kind: 'account', account: subject.account, grant }
          : subject.kind === 'organization'
            ? { kind: 'organization', organization: subject.organization, grant }
            : { kind: 'service_account', serviceAccount: subject.serviceAccount, grant },
      );
      return next();
    }
    if (grant.subject.kind !== 'organization') {
      res.status(403).json({ error: 'forbidden', error_description: 'Cronofy-Impersonate needs an Organizational Unit token' });
      return;
    }
    const organization = grant.subject.organization;
    const member = organization.members.find((m) => m.account.account_id === impersonate);
    if (!member) {
      res.status(403).json({ error: 'forbidden', error_description: 'Cronofy-Impersonate names no member of this Organizational Unit' });
      return;
    }
    actors.set(req, { kind: 'account', account: member.account, grant, impersonatedBy: organization });
    next();
  };
}

/** The account acting, with the capability; otherwise answers 403 and returns undefined. */
export function accountWith(req: Request, res: Response, capability: Capability | null): SeedAccount | undefined {
  const actor = actorOf(req);
  if (actor.kind === 'account' && (capability === null || actor.impersonatedBy || allows(actor.grant.scopes, capability))) return actor.account;
  const needs =
    actor.kind === 'organization'
      ? 'an account token (or Cronofy-Impersonate with a member sub)'
      : actor.kind === 'service_account'
        ? "an account token (a service account acts through the people's own tokens)"
        : `a scope granting ${capability ?? 'this'}`;
  res.status(403).set('WWW-Authenticate', 'Bearer realm="Cronofy", error="insufficient_scope"').json({ error: 'forbidden', error_description: `This call needs ${needs}` });
  return undefined;
}
