// The "api" role's identity, calendar and organization reads (docs/cronofy-notes.md, Calendars and identity, Organization Connect).
import { accountWith, actorOf } from './bearer';
import type { EmulatorContext, Handler } from './context';
import { forbidden } from './errors';
import { serviceAccountUserInfo } from './enterprise';
import { healthJson } from './profiles';
import { calendarsOf, type SeedAccount } from './seed';

export function calendarJson(ctx: EmulatorContext, account: SeedAccount) {
  return calendarsOf(account).map((c) => ({
    provider_name: c.profile.provider_name,
    profile_id: c.profile.profile_id,
    profile_name: c.profile.profile_name,
    calendar_id: c.calendar_id,
    calendar_name: c.calendar_name,
    calendar_readonly: c.calendar_readonly,
    calendar_deleted: c.calendar_deleted ?? false,
    calendar_primary: c.calendar_primary,
    calendar_integrated_conferencing_available: c.profile.provider_name === 'google',
    calendar_attachments_available: false,
    permission_level: ctx.state.permissionLevel(c.calendar_id),
  }));
}

/** Where a person reconnects a conferencing profile, in the docs' shape; it names no calendar profile, so the relink route answers a 404 page (docs/emulator.md, choice 16). */
const relinkUrl = (ctx: EmulatorContext, provider: string, email: string) =>
  `${ctx.publicUrl}/relink/${encodeURIComponent(provider)}?email=${encodeURIComponent(email)}`;

// Every profile has profile_initial_sync_required (the sample profiles are long synced: false);
// profile_relink_url only when profile_connected is false (https://docs.cronofy.com/developers/api/identity/profile/).
const profileJson = (ctx: EmulatorContext, account: SeedAccount) =>
  account.profiles.map((p) => {
    const { profile_connected, profile_relink_url } = healthJson(ctx, p);
    return {
      provider_name: p.provider_name,
      provider_service: p.provider_service,
      profile_id: p.profile_id,
      profile_name: p.profile_name,
      profile_connected,
      profile_initial_sync_required: false,
      ...(profile_relink_url === undefined ? {} : { profile_relink_url }),
    };
  });

const conferencingJson = (ctx: EmulatorContext, account: SeedAccount) =>
  (account.conferencing ?? []).map((p) => ({
    provider_name: p.provider_name,
    profile_id: p.profile_id,
    profile_name: p.profile_name,
    profile_connected: p.connected,
    ...(p.connected ? {} : { profile_relink_url: relinkUrl(ctx, p.provider_name, p.profile_name) }),
  }));

export const userInfo: Handler = (ctx, _req, res) => {
  const actor = actorOf(res);
  if (actor.kind === 'service_account') return void res.json(serviceAccountUserInfo(actor.serviceAccount, actor.grant));
  if (actor.kind === 'organization') {
    // The userinfo of an Organizational Unit token is not documented (docs/cronofy-notes.md U6).
    const { organization } = actor;
    return void res.json({ sub: organization.sub, name: organization.name, 'cronofy.type': 'organizational_unit', 'cronofy.data': { authorization: { scope: actor.grant.scopes.join(' '), status: 'active' } } });
  }
  const { account } = actor;
  const calendars = calendarJson(ctx, account);
  res.json({
    sub: account.account_id,
    email: account.email,
    name: account.name,
    zoneinfo: account.zoneinfo,
    'cronofy.type': 'account',
    'cronofy.data': {
      authorization: { scope: actor.grant.scopes.join(' '), status: 'active' },
      profiles: profileJson(ctx, account).map((p) => ({
        ...p,
        profile_calendars: calendars
          .filter((c) => c.profile_id === p.profile_id)
          .map(({ provider_name: _provider, profile_id: _id, profile_name: _name, ...calendar }) => calendar),
      })),
      ...(account.conferencing ? { conferencing_profiles: conferencingJson(ctx, account) } : {}),
    },
  });
};

export const readAccount: Handler = (_ctx, _req, res) => {
  const account = accountWith(res, 'read_account');
  res.json({
    account: { account_id: account.account_id, email: account.email, name: account.name, scope: actorOf(res).grant.scopes.join(' '), default_tzid: account.zoneinfo },
    sub: account.account_id,
  });
};

export const listProfiles: Handler = (ctx, _req, res) => {
  res.json({ profiles: profileJson(ctx, accountWith(res, 'list_calendars')) });
};

export const listCalendars: Handler = (ctx, _req, res) => {
  const account = accountWith(res, 'list_calendars');
  res.json({ sub: account.account_id, calendars: calendarJson(ctx, account) });
};

// For the unit's own token, which is "all you need" for Organizational Unit Members
// (https://docs.cronofy.com/developers/authorization/organization-connect/, Using the Access Token),
// or an Internal Application's key. Paged exactly as documented: pages.current and pages.total, no
// next_page and no page parameter (https://docs.cronofy.com/developers/api-alpha/organizational-unit-members/).
// How a caller reaches page 2 is not documented, so the emulator answers the first page only.
export const listMembers: Handler = (ctx, _req, res) => {
  const actor = actorOf(res);
  if (actor.kind !== 'organization') throw forbidden('This call needs an Organizational Unit token, without Cronofy-Impersonate');
  const members = actor.organization.members;
  res.json({
    organizational_unit_members: members.slice(0, ctx.memberPageSize).map((m) => ({
      sub: m.account.account_id,
      email: m.account.email,
      roles: m.roles,
      scheduler: m.scheduler,
    })),
    pages: { current: 1, total: Math.max(1, Math.ceil(members.length / ctx.memberPageSize)) },
  });
};
