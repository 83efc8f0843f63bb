// The emulator's memory: authorization codes, grants and their tokens, permission requests, the
// events created through the API. A restart forgets it all; so does control.reset() (a new state).
// - A code is 32 ASCII characters, single use, valid 10 minutes, bound to redirect_uri and scope;
//   redeeming a used code revokes what it granted (RFC 6749 §4.1.2).
// - A grant has one live refresh token; with rotation each refresh replaces it and the old one is dead.
// - An account or organizational unit has at most one live grant for the application: authorizing
//   it again, from any browser, re-authorizes that grant (linking.ts says why; unconfirmed in part).
// - Revoking a grant (by any of its tokens, or by sub) stops every token it issued (RFC 7009 §2.1).
import { randomBytes } from 'node:crypto';
import { createLinking } from './linking';
import type { SeedServiceAccount } from './enterprise-seed';
import type { SeedAccount, SeedEvent, SeedOrganization, SeedProfile, World } from './seed';
import { utcTime } from './times';

export type Subject =
  | { kind: 'account'; account: SeedAccount; /** The profile just added, when a link_token joined it. */ linkingProfile?: SeedProfile }
  | { kind: 'organization'; organization: SeedOrganization }
  | { kind: 'service_account'; serviceAccount: SeedServiceAccount; delegatedScopes: string[] };

export interface Grant {
  subject: Subject;
  /** Its live access tokens, so revoking touches only them. */
  accessTokens?: Set<string>;
  scopes: string[];
  revoked: boolean;
  refreshToken: string;
  /** Access-token lifetime in seconds, when not the emulator's default (service accounts: shorter). */
  ttlSeconds?: number;
}

interface AccessToken {
  grant: Grant;
  expiresAt: number;
}

interface Code {
  subject: Subject;
  redirectUri: string;
  scopes: string[];
  expiresAt: number;
  grant?: Grant;
  /** The profile the Allow added (linking.ts, link-tokens.ts). */
  linkingProfile?: SeedProfile;
}

export interface PermissionsRequest {
  account: SeedAccount;
  calendarIds: string[];
  redirectUri?: string;
  expiresAt: number;
}

export interface ManagedEvent extends SeedEvent {
  event_id: string;
}

/** An event as it was and is: earlier start/end pairs are kept for include_moved. */
export type KeptEvent<E extends SeedEvent = SeedEvent> = E & { previous?: { start: string; end: string }[] };

/** What Create or Update Event may change; the stamps and history are the state's. */
export type EventChange = Pick<SeedEvent, 'summary' | 'description' | 'start' | 'end'> & { location?: { description: string } };

export interface IssuedTokens {
  grant: Grant;
  access_token: string;
  refresh_token: string;
  /** The profile the authorization added (code exchanges only). */
  linkingProfile?: SeedProfile;
}

const CODE_TTL_MS = 10 * 60_000;
const PERMISSIONS_REQUEST_TTL_MS = 10 * 60_000;
const SWEEP_AT = 1000;

/** 32 characters from [A-Za-z0-9_-]. */
export const randomToken = (): string => randomBytes(24).toString('base64url');

export interface StateSettings {
  accessTokenTtl: number;
  serviceAccountTokenTtl?: number;
  rotateRefreshTokens: boolean;
  /** A linked re-authorization keeps the grant's refresh token ('same', default) or replaces it ('new'). */
  relinkRefreshToken?: 'same' | 'new';
  now?: () => number;
}

export function createState(world: World, settings: StateSettings) {
  const now = settings.now ?? Date.now;
  const codes = new Map<string, Code>();
  const usedCodes = new Map<string, Code>();
  const accessTokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, Grant>();
  /** The one live grant of each account or organizational unit, by sub (service accounts: none kept). */
  const grantOfSub = new Map<string, Grant>();
  const permissionsRequests = new Map<string, PermissionsRequest>();
  /** account_id → whether the service account that authorized it last has unrestricted access. */
  const enterpriseAccess = new Map<string, boolean>();
  const unrestricted = new Set<string>();
  const managed = new Map<string, Map<string, KeptEvent<ManagedEvent>>>();
  /** Changes made through the API to the sample (external) events, by calendar id and event_uid. */
  const external = new Map<string, KeptEvent>();

  /** `before` changed to `change` now; a new time keeps the old one in `previous`. */
  function changed<E extends SeedEvent>(before: KeptEvent<E>, change: EventChange): KeptEvent<E> {
    const moved = before.start !== change.start || before.end !== change.end;
    const previous = moved && !before.deleted ? [...(before.previous ?? []), { start: before.start, end: before.end }] : before.previous;
    const after: KeptEvent<E> = { ...before, ...change, updated: utcTime(now()), ...(previous ? { previous } : {}) };
    if (!change.location) delete after.location;
    delete after.deleted;
    return after;
  }
  const linking = createLinking();

  /** Dead entries go once a map is large, so a long-running emulator stays small. */
  let lastSweep = 0;
  function sweep(): void {
    const t = now();
    if (t - lastSweep < 1000) return; // at most once a second: a sweep walks the maps
    lastSweep = t;
    if (accessTokens.size > SWEEP_AT) for (const [token, entry] of accessTokens) if (entry.expiresAt <= t) {
      accessTokens.delete(token);
      entry.grant.accessTokens?.delete(token);
    }
    if (codes.size > SWEEP_AT) for (const [code, entry] of codes) if (entry.expiresAt <= t) codes.delete(code);
    // A used code is remembered 10 minutes past its expiry, to catch a late replay.
    if (usedCodes.size > SWEEP_AT) for (const [code, entry] of usedCodes) if (entry.expiresAt + CODE_TTL_MS <= t) usedCodes.delete(code);
  }

  function issue(grant: Grant): IssuedTokens {
    sweep();
    const access_token = randomToken();
    accessTokens.set(access_token, { grant, expiresAt: now() + (grant.ttlSeconds ?? settings.accessTokenTtl) * 1000 });
    (grant.accessTokens ??= new Set()).add(access_token);
    return { grant, access_token, refresh_token: grant.refreshToken };
  }

  const subOf = (subject: Subject): string =>
    subject.kind === 'account' ? subject.account.account_id : subject.kind === 'organization' ? subject.organization.sub : subject.serviceAccount.sub;

  function revokeGrant(grant: Grant): void {
    grant.revoked = true;
    if (grantOfSub.get(subOf(grant.subject)) === grant) grantOfSub.delete(subOf(grant.subject));
    refreshTokens.delete(grant.refreshToken);
    for (const token of grant.accessTokens ?? []) accessTokens.delete(token);
    grant.accessTokens?.clear();
  }

  return {
    world,
    accessTokenTtl: settings.accessTokenTtl,

    linking,

    issueCode(subject: Subject, redirectUri: string, scopes: string[], linkingProfile?: SeedProfile): string {
      sweep();
      const code = randomToken();
      codes.set(code, { subject, redirectUri, scopes, expiresAt: now() + CODE_TTL_MS, linkingProfile });
      return code;
    },

    /** undefined: invalid_grant (unknown, used, expired, or another redirect_uri). */
    redeemCode(code: string, redirectUri: string): IssuedTokens | undefined {
      const reused = usedCodes.get(code);
      if (reused) {
        if (reused.grant) revokeGrant(reused.grant);
        return undefined;
      }
      const entry = codes.get(code);
      if (!entry) return undefined;
      codes.delete(code);
      usedCodes.set(code, entry);
      if (entry.expiresAt <= now() || entry.redirectUri !== redirectUri) return undefined;
      const sub = subOf(entry.subject);
      const relinked = grantOfSub.get(sub);
      if (relinked) {
        // The account as this authorization saw it may carry profiles linked since (linking.ts).
        if (relinked.subject.kind === 'account' && entry.subject.kind === 'account' && relinked.subject.account !== entry.subject.account) {
          const into = relinked.subject.account;
          into.profiles.push(...entry.subject.account.profiles.filter((p) => !into.profiles.some((known) => known.profile_id === p.profile_id)));
        }
        relinked.scopes = [...new Set([...relinked.scopes, ...entry.scopes])];
        if (settings.relinkRefreshToken === 'new') {
          refreshTokens.delete(relinked.refreshToken);
          relinked.refreshToken = randomToken();
          refreshTokens.set(relinked.refreshToken, relinked);
        }
        entry.grant = relinked;
        return { ...issue(relinked), linkingProfile: entry.linkingProfile };
      }
      const grant: Grant = { subject: entry.subject, scopes: entry.scopes, revoked: false, refreshToken: randomToken() };
      if (entry.subject.kind === 'service_account') grant.ttlSeconds = settings.serviceAccountTokenTtl ?? 1800;
      refreshTokens.set(grant.refreshToken, grant);
      entry.grant = grant;
      if (entry.subject.kind !== 'service_account') grantOfSub.set(sub, grant);
      return { ...issue(grant), linkingProfile: entry.linkingProfile };
    },

    /** undefined: invalid_grant (unknown, rotated away, or revoked). */
    refresh(refreshToken: string): IssuedTokens | undefined {
      const grant = refreshTokens.get(refreshToken);
      if (!grant || grant.revoked) return undefined;
      if (settings.rotateRefreshTokens) {
        refreshTokens.delete(refreshToken);
        grant.refreshToken = randomToken();
        refreshTokens.set(grant.refreshToken, grant);
      }
      return issue(grant);
    },

    /** The grant a live access token belongs to. */
    authenticate(accessToken: string): Grant | undefined {
      const entry = accessTokens.get(accessToken);
      if (!entry || entry.grant.revoked || entry.expiresAt <= now()) return undefined;
      return entry.grant;
    },

    /** Revokes the grant of this access or refresh token, or every grant of this sub. RFC 7009: unknown is not an error. */
    revoke(tokenOrSub: { token?: string; sub?: string }): void {
      if (tokenOrSub.token !== undefined) {
        const grant = refreshTokens.get(tokenOrSub.token) ?? accessTokens.get(tokenOrSub.token)?.grant;
        if (grant) revokeGrant(grant);
        return;
      }
      const grants = new Set([...refreshTokens.values(), ...[...accessTokens.values()].map((t) => t.grant)]);
      for (const grant of grants) if (subOf(grant.subject) === tokenOrSub.sub) revokeGrant(grant);
    },

    /** Every grant not revoked: its sub and live refresh token (tests check that the app holds each). */
    liveGrants(): { sub: string; refresh_token: string }[] {
      return [...new Set(refreshTokens.values())].filter((g) => !g.revoked).map((g) => ({ sub: subOf(g.subject), refresh_token: g.refreshToken }));
    },

    expireAccessTokens(): void {
      for (const entry of accessTokens.values()) entry.expiresAt = 0;
    },

    subOf,

    permissionLevel: (calendarId: string): 'sandbox' | 'unrestricted' => (unrestricted.has(calendarId) ? 'unrestricted' : 'sandbox'),

    grantUnrestricted(calendarIds: string[]): void {
      for (const id of calendarIds) unrestricted.add(id);
    },

    /**
     * Whether Extended Permissions for this account are granted at once: once a service account has
     * authorized it, whether that one has unrestricted access; before, as seeded. An account-wide
     * fact, whichever of the account's grants asks.
     */
    permissionsAtOnce: (account: SeedAccount): boolean => enterpriseAccess.get(account.account_id) ?? account.enterpriseLinked,

    authorizedByServiceAccount(account: SeedAccount, unrestrictedAccess: boolean): void {
      enterpriseAccess.set(account.account_id, unrestrictedAccess);
    },

    createPermissionsRequest(account: SeedAccount, calendarIds: string[], redirectUri: string | undefined): string {
      const id = randomToken();
      permissionsRequests.set(id, { account, calendarIds, redirectUri, expiresAt: now() + PERMISSIONS_REQUEST_TTL_MS });
      return id;
    },

    permissionsRequest(id: string): PermissionsRequest | undefined {
      const entry = permissionsRequests.get(id);
      return entry && entry.expiresAt > now() ? entry : undefined;
    },

    /** Single use: the approval page answers once. */
    takePermissionsRequest(id: string): PermissionsRequest | undefined {
      const entry = permissionsRequests.get(id);
      permissionsRequests.delete(id);
      return entry && entry.expiresAt > now() ? entry : undefined;
    },

    /** Creates the event, or updates it (a deleted one comes back as new). */
    upsertEvent(event: Omit<ManagedEvent, 'created' | 'updated'> & { location?: { description: string } }): void {
      const calendar = managed.get(event.calendar_id) ?? new Map<string, KeptEvent<ManagedEvent>>();
      const before = calendar.get(event.event_id);
      const stamp = utcTime(now());
      calendar.set(event.event_id, before && !before.deleted ? changed(before, event) : { ...event, created: stamp, updated: stamp });
      managed.set(event.calendar_id, calendar);
    },

    /** A managed event is kept as deleted (include_deleted lists it). */
    deleteEvent(calendarId: string, eventId: string): void {
      const before = managed.get(calendarId)?.get(eventId);
      if (before && !before.deleted) managed.get(calendarId)?.set(eventId, { ...before, deleted: true, updated: utcTime(now()) });
    },

    managedEvents: (calendarId: string): KeptEvent<ManagedEvent>[] => [...(managed.get(calendarId)?.values() ?? [])],

    /** The sample events of a calendar, with the changes made to them through the API. */
    externalEvents: (calendarId: string): KeptEvent[] =>
      (world.events.get(calendarId) ?? []).map((e) => external.get(`${calendarId} ${e.event_uid}`) ?? e),

    /** Updates (or, with null, deletes) a sample event by event_uid; false when the calendar has no such event. */
    changeExternalEvent(calendarId: string, eventUid: string, change: EventChange | null): boolean {
      const key = `${calendarId} ${eventUid}`;
      const before = external.get(key) ?? world.events.get(calendarId)?.find((e) => e.event_uid === eventUid);
      if (!before) return false;
      if (change) external.set(key, changed(before, change));
      else if (!before.deleted) external.set(key, { ...before, deleted: true, updated: utcTime(now()) });
      return true;
    },
  };
}

export type EmulatorState = ReturnType<typeof createState>;
