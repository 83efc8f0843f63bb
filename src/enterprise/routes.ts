// Enterprise Connect pages: https://docs.cronofy.com/developers/api/enterprise-connect/
// - GET /enterprise: the service account (from /v1/userinfo), a form to authorize a person by
//   email, and the people with their state: pending, authorized, failed (with Cronofy's reason), revoked.
// - POST /enterprise/authorizations (field `email`): asks Cronofy for that person's calendar.
// - GET /enterprise/people/:id: an authorized person's calendars, with the person's own token.
// - POST /enterprise/people/:id/permissions: Extended Permissions for that person (granted at once
//   for accounts linked to Enterprise Connect).
// - POST /enterprise/people/:id/revoke, POST /enterprise/disconnect.
// Every POST goes through the app's CSRF check; people are looked up in this session's service
// account's list only, so an id from elsewhere is a 404.
import { Router, type Request } from 'express';
import type { AppContext } from '../context';
import { groupByProfile } from '../calendars/group';
import { ReconnectRequiredError } from '../cronofy/errors';
import { connectionOf, flash, forgetConnection, inspectorIdOf } from '../session/access';
import { PageError } from '../web/errors';
import { authorizePerson } from './authorize-person';
import { peopleOf } from './people';
import type { Person } from './people-store';
import { KEEPS_ASKING, releaseServiceAccount, revokePerson, serviceReleasedMessage, withServiceAccount } from './release';
import type { RevokeOutcome } from '../revocation/revoker';
import { describeServiceAccount } from './service-account';

const EMAIL = /^[^\s@<>"(),;:\\[\]]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,63}$/;
const PERSON_ID = /^[0-9a-f]{24}$/;
const backToPeople = [{ href: '/enterprise', label: 'Back to the people' }];

const PERSON_REVOKED: Record<RevokeOutcome, (email: string) => string> = {
  revoked: (email) => `Revoked ${email}: Cronofy has withdrawn the access and this app deleted the person's tokens.`,
  pending: (email) => `Revoked ${email}: this app deleted the person's tokens. Revocation pending: ${KEEPS_ASKING}`,
  unqueued: (email) => `This app deleted ${email}'s tokens, but Cronofy could not be told to revoke the access; it stops working when it expires.`,
};

export function enterpriseRoutes(ctx: AppContext): Router {
  const router = Router();
  const people = peopleOf(ctx);

  const serviceOf = (req: Request): string | undefined => connectionOf(req, 'enterprise');

  function requireService(req: Request): string {
    const id = serviceOf(req);
    if (!id) {
      throw new PageError({
        status: 409,
        code: 'no_service_account',
        title: 'No service account is connected',
        message: 'Connect a service account first (an administrator of the domain signs in once); then you can authorize people by email.',
        next: [{ href: '/connect/enterprise', label: 'Connect a service account' }],
      });
    }
    return id;
  }

  async function personOf(req: Request, serviceId: string): Promise<Person> {
    const id = req.params.id;
    const person = typeof id === 'string' && PERSON_ID.test(id) ? (await people.list(serviceId)).find((p) => p.id === id) : undefined;
    if (!person) {
      throw new PageError({
        status: 404,
        code: 'no_such_person',
        title: 'No such person',
        message: 'Nobody with this id was authorized through this service account. Pick a person from the list.',
        next: backToPeople,
      });
    }
    return person;
  }

  /** A call with an authorized person's token; a dead grant says so instead of asking to reconnect the app. */
  async function asPerson<T>(person: Person, call: (accessToken: string, client: ReturnType<AppContext['clientFor']>) => Promise<T>): Promise<T> {
    if (person.status !== 'authorized' || !person.connection_id) {
      throw new PageError({
        status: 409,
        code: 'person_not_authorized',
        title: `${person.email} is not authorized`,
        message: `This person's state is "${person.status}". Authorize them again from the list.`,
        next: backToPeople,
      });
    }
    try {
      return (await ctx.accessTokens.withAccessToken(person.connection_id, (c) => call(c.access_token, ctx.clientFor(c.data_center)))).result;
    } catch (err) {
      if (!(err instanceof ReconnectRequiredError)) throw err;
      throw new PageError({
        status: 410,
        code: 'person_authorization_gone',
        title: `Cronofy no longer accepts ${person.email}'s authorization`,
        message: 'It was revoked or has expired. Revoke it here and authorize the person again.',
        next: backToPeople,
      });
    }
  }

  router.get('/enterprise', async (req, res) => {
    const serviceId = serviceOf(req);
    if (!serviceId) return res.render('enterprise', { service: undefined, people: [], email: '' });
    const { result: info, connection } = await withServiceAccount(ctx, serviceId, (c) =>
      ctx.clientFor(c.data_center).userInfo({ accessToken: c.access_token }),
    );
    res.render('enterprise', {
      service: describeServiceAccount(info),
      connection,
      people: await people.list(serviceId),
      email: '',
    });
  });

  router.post('/enterprise/authorizations', async (req, res) => {
    const serviceId = requireService(req);
    const raw: unknown = (req.body as Record<string, unknown> | undefined)?.email;
    const email = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    if (!EMAIL.test(email) || email.length > 254) {
      flash(req, 'error', 'Type one full email address, like name@example.com.');
      return res.redirect('/enterprise');
    }
    const outcome = await authorizePerson(ctx, serviceId, email, inspectorIdOf(req));
    if (outcome.kind === 'already') {
      flash(req, 'info', `${email} is already ${outcome.person.status}. Revoke them first to ask again.`);
    } else if (outcome.kind === 'refused') {
      flash(req, 'error', `Cronofy refused the request for ${email}: ${outcome.person.failure?.error_description ?? 'no reason given'}`);
    } else {
      ctx.inspector.record(req, 'Asked Cronofy: POST /v1/service_account_authorizations (202 Accepted)', {
        email,
        callback_url: `${ctx.config.appBaseUrl}/enterprise/callback/(a fresh single-use key)`,
        scope: outcome.person.scope,
        state: outcome.person.id,
      });
      flash(req, 'info', `Asked Cronofy to authorize ${email}. Cronofy answers at the callback URL; this list shows the result.`);
    }
    res.redirect('/enterprise');
  });

  router.get('/enterprise/people/:id', async (req, res) => {
    const person = await personOf(req, requireService(req));
    const calendars = await asPerson(person, (accessToken, client) => client.listCalendars({ accessToken }));
    res.render('enterprise-person', { person, profiles: groupByProfile(calendars) });
  });

  router.post('/enterprise/people/:id/permissions', async (req, res) => {
    const person = await personOf(req, requireService(req));
    const answer = await asPerson(person, async (accessToken, client) => {
      const calendars = await client.listCalendars({ accessToken });
      const wanted = calendars.filter((c) => c.permission_level !== 'unrestricted' && !c.calendar_deleted);
      if (wanted.length === 0) return { accepted: true, count: 0 };
      const request = await client.elevatedPermissions(
        { accessToken },
        { permissions: wanted.map((c) => ({ calendar_id: c.calendar_id, permission_level: 'unrestricted' as const })), redirect_uri: ctx.redirectUris.permissions },
      );
      return { accepted: request.accepted === true, count: wanted.length };
    });
    ctx.inspector.record(req, 'Extended Permissions for a person: POST /v1/permissions', { person: person.email, accepted: answer.accepted });
    flash(
      req,
      'info',
      answer.accepted
        ? `Cronofy granted unrestricted access to ${person.email}'s calendars at once (accepted: true), as it does for accounts linked to Enterprise Connect.`
        : `Cronofy answered with an approval page for ${person.email} to approve the request themselves, which this app does not send them to: nothing was granted. For Cronofy to grant it at once, the service account needs unrestricted access: set CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS=true, restart the app, connect the service account again, then authorize the person again.`,
    );
    res.redirect(`/enterprise/people/${person.id}`);
  });

  router.post('/enterprise/people/:id/revoke', async (req, res) => {
    const serviceId = requireService(req);
    const person = await personOf(req, serviceId);
    const { outcome } = await revokePerson(ctx, serviceId, person.id);
    ctx.inspector.record(req, 'Person revoked: POST /oauth/token/revoke', { person: person.email, revocation: outcome });
    flash(req, outcome === 'unqueued' ? 'error' : 'info', PERSON_REVOKED[outcome](person.email));
    res.redirect('/enterprise');
  });

  router.post('/enterprise/disconnect', async (req, res) => {
    const serviceId = requireService(req);
    const result = await releaseServiceAccount(ctx, serviceId);
    forgetConnection(req, 'enterprise');
    ctx.inspector.record(req, 'Service account disconnected', { 'service account revocation': result.service, 'people revoked': result.authorized, 'pending cancelled': result.pending });
    flash(req, result.service === 'unqueued' || result.notRevoked > 0 ? 'error' : 'info', serviceReleasedMessage(result));
    res.redirect('/');
  });

  return router;
}
