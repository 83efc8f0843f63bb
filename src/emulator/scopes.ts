// Scopes the emulator knows (docs/cronofy-notes.md, Authorization), what each allows, and how the consent page says it.
// The expansion of the simplified scopes (read_only, read_write, ...) is not documented
// (docs/cronofy-notes.md U4); the mapping below is our reading of their names.

export const ORGANIZATION_SCOPE = 'organizational_unit_scheduler';

/** What an endpoint needs; a token passes when one of its scopes grants it. */
export type Capability = 'read_account' | 'list_calendars' | 'read_events' | 'create_event' | 'delete_event';

const GRANTS: Record<string, { words: string; allows: Capability[] }> = {
  read_account: { words: 'See your name, email address and time zone', allows: ['read_account'] },
  list_calendars: { words: 'See the list of your calendars', allows: ['list_calendars'] },
  read_events: { words: 'Read the events in your calendars', allows: ['read_events', 'list_calendars'] },
  read_free_busy: { words: 'See when you are free or busy', allows: [] },
  create_event: { words: 'Create and update events in your calendars', allows: ['create_event'] },
  delete_event: { words: 'Delete events it created in your calendars', allows: ['delete_event'] },
  create_calendar: { words: 'Create new calendars', allows: [] },
  change_participation_status: { words: 'Accept or decline invitations for you', allows: [] },
  read_only: { words: 'Read your calendars and events', allows: ['read_account', 'list_calendars', 'read_events'] },
  write_only: { words: 'Create, update and delete events', allows: ['create_event', 'delete_event'] },
  read_write: {
    words: 'Read your calendars and events, and create, update and delete events',
    allows: ['read_account', 'list_calendars', 'read_events', 'create_event', 'delete_event'],
  },
  free_busy: { words: 'See when you are free or busy', allows: [] },
  free_busy_write: { words: 'See when you are free or busy, and create events', allows: ['create_event', 'delete_event'] },
  [ORGANIZATION_SCOPE]: {
    words: "Use your organization's scheduler, and act for its members' calendars",
    allows: [],
  },
};

export type ScopeCheck = { ok: true; scopes: string[] } | { ok: false; reason: string };

/** A requested scope: space-separated known names, at least one; the organization scope stands alone. */
export function parseScope(raw: string | undefined): ScopeCheck {
  const scopes = [...new Set((raw ?? '').split(' ').filter(Boolean))];
  if (scopes.length === 0) return { ok: false, reason: 'scope is required' };
  const unknown = scopes.filter((s) => !(s in GRANTS));
  if (unknown.length > 0) return { ok: false, reason: `unknown scope: ${unknown.join(' ')}` };
  if (scopes.includes(ORGANIZATION_SCOPE) && scopes.length > 1) {
    return { ok: false, reason: `${ORGANIZATION_SCOPE} cannot be combined with other scopes` };
  }
  return { ok: true, scopes };
}

export const describeScope = (scope: string): string => GRANTS[scope]?.words ?? scope;

export const allows = (scopes: readonly string[], capability: Capability): boolean =>
  scopes.some((s) => GRANTS[s]?.allows.includes(capability));
