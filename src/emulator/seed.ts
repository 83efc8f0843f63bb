// The sample world the emulator serves: four accounts a person can pick on the consent page and
// one organizational unit. Ids are derived from names, so they are the same on every start.
// Shapes and id formats: docs/cronofy-notes.md (Tokens, Calendars and identity, Organization Connect) (acc_ + 24 hex = 28 chars).
import { createHash } from 'node:crypto';
import { seedServiceAccount, type SeedServiceAccount } from './enterprise-seed';

export interface SeedCalendar {
  calendar_id: string;
  calendar_name: string;
  calendar_readonly: boolean;
  calendar_primary: boolean;
  /** Removed at the provider: still listed, calendar_deleted true (docs.cronofy.com, List Calendars). */
  calendar_deleted?: boolean;
}

export interface SeedProfile {
  provider_name: string;
  provider_service: string;
  profile_id: string;
  profile_name: string;
  /** False: the credentials stopped working; the profile carries a profile_relink_url. Default true. */
  connected?: boolean;
  calendars: SeedCalendar[];
}

/** A conferencing service linked to the account (userinfo's conferencing_profiles). */
export interface SeedConferencingProfile {
  provider_name: string;
  profile_id: string;
  profile_name: string;
  connected: boolean;
}

export interface SeedAccount {
  account_id: string;
  email: string;
  name: string;
  zoneinfo: string;
  /** What the consent page calls it, e.g. "Google Workspace". */
  label: string;
  /** Linked to Enterprise Connect: Extended Permissions are granted at once, with no approval page. */
  enterpriseLinked: boolean;
  profiles: SeedProfile[];
  conferencing?: SeedConferencingProfile[];
}

export interface SeedMember {
  account: SeedAccount;
  roles: string[];
  scheduler: { enabled: boolean; public_url: string | null };
}

export interface SeedOrganization {
  /** The unit's sub. Its real prefix is not documented (docs/cronofy-notes.md U6); org_ is our choice. */
  sub: string;
  name: string;
  members: SeedMember[];
}

export interface SeedEvent {
  calendar_id: string;
  event_uid: string;
  summary: string;
  description: string;
  start: string;
  end: string;
  /** When the event was made and last changed (UTC times), for last_modified. */
  created: string;
  updated: string;
  /** Cancelled at the provider: listed only with include_deleted=true, as deleted. */
  deleted?: boolean;
  location?: { description: string };
  organizer?: { email: string; display_name: string };
}

export interface World {
  accounts: SeedAccount[];
  organization: SeedOrganization;
  /** The Enterprise Connect service account and its domain's people (enterprise-seed.ts). */
  serviceAccount: SeedServiceAccount;
  /** Events in the sample calendars (not created through the API), by calendar id. */
  events: Map<string, SeedEvent[]>;
}

const hex = (seed: string, length = 24): string => createHash('sha256').update(seed).digest('hex').slice(0, length);

type CalendarFlags = { readonly?: boolean; primary?: boolean; deleted?: boolean };

function profile(provider_name: string, provider_service: string, profile_name: string, calendars: [string, CalendarFlags?][], connected = true): SeedProfile {
  const suffix = hex(`profile:${profile_name}:${provider_name}`, 10);
  return {
    provider_name,
    provider_service,
    profile_id: `pro_${suffix}`,
    profile_name,
    ...(connected ? {} : { connected: false }),
    calendars: calendars.map(([calendar_name, flags = {}]) => ({
      calendar_id: `cal_${suffix}_${hex(`calendar:${profile_name}:${calendar_name}`, 16)}`,
      calendar_name,
      calendar_readonly: flags.readonly ?? false,
      calendar_primary: flags.primary ?? false,
      ...(flags.deleted ? { calendar_deleted: true } : {}),
    })),
  };
}

function account(email: string, name: string, label: string, profiles: SeedProfile[], enterpriseLinked = false): SeedAccount {
  return { account_id: `acc_${hex(`account:${email}`)}`, email, name, zoneinfo: 'Europe/London', label, enterpriseLinked, profiles };
}

const MEMBER_NAMES = [
  'marty', 'doc', 'jennifer', 'lorraine', 'george', 'biff', 'einstein', 'clara', 'jules', 'verne',
  'goldie', 'strickland', 'marvin', 'dave', 'linda', 'needles', 'terry', 'griff', 'data', 'match',
  'whitey', 'skinhead', 'lou', 'red', 'wilson',
];

function organization(): SeedOrganization {
  const members = MEMBER_NAMES.map((who, index): SeedMember => {
    const email = `${who}@evenitron.com`;
    const name = who.charAt(0).toUpperCase() + who.slice(1);
    const member = account(email, name, 'Evenitron member', [
      profile('google', 'gsuite', email, [[name, { primary: true }], ['Lab bookings']]),
    ]);
    return {
      account: member,
      roles: index === 0 ? ['owner'] : index === 1 ? ['developer_admin'] : index % 5 === 0 ? ['developer'] : ['member'],
      scheduler: { enabled: index % 4 !== 3, public_url: index % 3 === 1 ? `https://app.cronofy.com/pls/${hex(`pls:${email}`, 8)}` : null },
    };
  });
  return { sub: `org_${hex('organization:evenitron')}`, name: 'Evenitron', members };
}

/**
 * A few events a day around `today` in every calendar that still exists, so /v1/events has pages to
 * read: each organized by the calendar's owner, some with a location, and one cancelled a day
 * (listed only with include_deleted). Each was made 30 days ago and last changed on a day that
 * varies (never later than an hour ago), so last_modified has something to filter.
 */
function sampleEvents(accounts: SeedAccount[], today: Date): Map<string, SeedEvent[]> {
  const titles = ['Stand-up', 'Planning', 'Lunch with a customer', 'Design review', 'Focus time'];
  const places = [undefined, 'Room 4.01', 'The Swan, Bankside', undefined, 'Video call'];
  const day = (offset: number): Date => new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + offset));
  const utc = (date: Date): string => date.toISOString().replace('.000Z', 'Z');
  // A change is in the past even early in the day: today's 08:00 is not, before 08:00.
  const lastHour = Math.floor(today.getTime() / 3_600_000) * 3_600_000 - 3_600_000;
  const events = new Map<string, SeedEvent[]>();
  for (const account of accounts) {
    for (const { calendars } of account.profiles) {
      for (const calendar of calendars) {
        if (calendar.calendar_deleted) continue;
        const list: SeedEvent[] = [];
        for (let offset = -3; offset <= 10; offset++) {
          const date = day(offset);
          const index = (offset + 3) % titles.length;
          const start = new Date(date.getTime() + (9 + (offset & 3)) * 3_600_000);
          const place = places[index];
          list.push({
            calendar_id: calendar.calendar_id,
            event_uid: `evt_external_${hex(`event:${calendar.calendar_id}:${offset}`)}`,
            summary: `${titles[index] ?? 'Meeting'} (${calendar.calendar_name})`,
            description: '',
            start: utc(start),
            end: utc(new Date(start.getTime() + 1_800_000)),
            created: utc(new Date(day(-30).getTime() + 8 * 3_600_000)),
            updated: utc(new Date(Math.min(day(Math.min(0, offset - 7)).getTime() + 8 * 3_600_000, lastHour))),
            ...(offset === 2 ? { deleted: true } : {}),
            ...(place ? { location: { description: place } } : {}),
            organizer: { email: account.email, display_name: account.name },
          });
        }
        events.set(calendar.calendar_id, list);
      }
    }
  }
  return events;
}

export function seedWorld(today = new Date()): World {
  const accounts = [
    account('avery.quinn@northwind.example', 'Avery Quinn', 'Google Workspace', [
      profile('google', 'gsuite', 'avery.quinn@northwind.example', [
        ['Avery Quinn', { primary: true }],
        ['Team offsites'],
        ['Holidays in the United Kingdom', { readonly: true }],
      ]),
    ]),
    account('morgan.lee@contoso.example', 'Morgan Lee', 'Microsoft 365', [
      profile('exchange', 'office365', 'morgan.lee@contoso.example', [['Calendar', { primary: true }], ['Birthdays', { readonly: true }]]),
    ]),
    account(
      'riley.chen@fabrikam.example',
      'Riley Chen',
      'Enterprise Connect (linked)',
      [profile('exchange', 'office365', 'riley.chen@fabrikam.example', [['Calendar', { primary: true }], ['Room bookings']])],
      true,
    ),
    // The states a long-lived account reaches: a deleted calendar, a profile whose credentials
    // stopped working, conferencing profiles (one disconnected).
    // https://docs.cronofy.com/developers/faqs/profile-reconnection-process/
    {
      ...account('jordan.blake@tailspin.example', 'Jordan Blake', 'Google and iCloud (one needs reconnecting)', [
        profile('google', 'gsuite', 'jordan.blake@tailspin.example', [['Jordan Blake', { primary: true }], ['Old project', { deleted: true }]]),
        profile('apple', 'icloud', 'jordan.blake@icloud.example', [['Home'], ['Bank Holidays', { readonly: true }]], false),
      ]),
      conferencing: [
        { provider_name: 'zoom', profile_id: `pro_${hex('conferencing:zoom:jordan', 10)}`, profile_name: 'jordan.blake@tailspin.example', connected: true },
        { provider_name: 'go_to', profile_id: `pro_${hex('conferencing:go_to:jordan', 10)}`, profile_name: 'jordan.blake@tailspin.example', connected: false },
      ],
    },
  ];
  const org = organization();
  const serviceAccount = seedServiceAccount(accounts);
  const people = serviceAccount.people.filter((p) => !accounts.includes(p));
  return { accounts, organization: org, serviceAccount, events: sampleEvents([...accounts, ...org.members.map((m) => m.account), ...people], today) };
}

export const calendarsOf = (account: SeedAccount): (SeedCalendar & { profile: SeedProfile })[] =>
  account.profiles.flatMap((p) => p.calendars.map((c) => ({ ...c, profile: p })));

/**
 * Remembers the parts of the world the emulator changes as it runs (the profiles of each account,
 * which explicit linking adds to; the events of each calendar, which the test control adds to);
 * the function returned puts them back as they were.
 */
export function rememberWorld(world: World): () => void {
  const accounts = [...world.accounts, ...world.organization.members.map((m) => m.account), ...world.serviceAccount.people];
  const profiles = new Map(accounts.map((account) => [account, [...account.profiles]]));
  const events = new Map([...world.events].map(([calendarId, list]) => [calendarId, [...list]]));
  return () => {
    for (const [account, kept] of profiles) account.profiles = [...kept];
    world.events.clear();
    for (const [calendarId, list] of events) world.events.set(calendarId, [...list]);
  };
}
