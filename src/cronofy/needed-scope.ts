// What a Cronofy call needs to be allowed, so that a 403 can be explained in words. Cronofy's 403
// body is not documented (docs/cronofy-notes.md), so the app names the scope from the call it made:
// the scopes are the documented ones (cronofy-api.md §2.2; list_calendars and read_account as the
// SDKs use them). The scope /v1/profiles needs is unconfirmed; list_calendars is our reading.

export interface NeededScope {
  /** The scope name, as CRONOFY_SCOPE lists it. */
  scope: string;
  /** What the app was trying to do, completing "Cronofy did not let the app …". */
  purpose: string;
}

const NEEDS: readonly (readonly [endpoint: RegExp, needed: NeededScope])[] = [
  [/^GET \/v1\/userinfo$/, { scope: 'read_account', purpose: "read the account's name and email address" }],
  [/^GET \/v1\/(calendars|profiles)$/, { scope: 'list_calendars', purpose: 'list the calendars' }],
  [/^(GET \/v1\/events|POST \/v1\/channels)$/, { scope: 'read_events', purpose: 'read the events in the calendars' }],
  [/^GET \/v1\/organizational_unit_members$/, { scope: 'organizational_unit_scheduler', purpose: "list the organization's members" }],
];

/** The scope the call `endpoint` ("GET /v1/calendars") needs, when the app knows it. */
export function neededScope(endpoint: string | undefined): NeededScope | undefined {
  return NEEDS.find(([pattern]) => endpoint !== undefined && pattern.test(endpoint))?.[1];
}
