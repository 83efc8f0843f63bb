// The emulator's public contract. The app and the tests use only what this file and index.ts export.

export interface EmulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Origin the emulator puts in absolute URLs it hands out (next_page, permissions_request.url). Default http://localhost:<port>. */
  publicUrl?: string;
  /** The one registered application. Defaults: SANDBOX_CLIENT_ID / SANDBOX_CLIENT_SECRET. */
  clientId?: string;
  clientSecret?: string;
  /** The name the consent page shows. Default: 'Cronofy Connect demo' for SANDBOX_CLIENT_ID, else the client id. */
  applicationName?: string;
  /**
   * The client secret of an Internal Application linked to the organizational unit, accepted as
   * Bearer by /v1/organizational_unit_members, the one endpoint for Internal Applications the
   * emulator serves (any other /v1 call with it: 403). A separate application from
   * clientId/clientSecret: the client secret itself is never an API key. Default: none.
   */
  internalApplicationKey?: string;
  /**
   * Further active client secrets, as during a rotation: push notifications and Enterprise Connect
   * callbacks then carry one Cronofy-HMAC-SHA256 value per secret (clientSecret's first). API calls
   * still use clientSecret.
   */
  rotatingClientSecrets?: string[];
  /** Waits before each retry of a failed push delivery; default [1000, 5000, 15000]. */
  pushRetryDelaysMs?: number[];
  /** Exact redirect URIs the application registered (verified-application behaviour). */
  redirectUris?: string[];
  /** Access token lifetime in seconds; default 3600. */
  accessTokenTtl?: number;
  /** Enterprise Connect service-account access token lifetime in seconds; default 1800, as in Cronofy's examples. */
  serviceAccountTokenTtl?: number;
  /** POST Enterprise Connect callbacks to their callback_url; default true. false only records them (control.callbacks()). */
  deliverCallbacks?: boolean;
  /** Refresh tokens rotate on use (the old one stops working); default true. */
  rotateRefreshTokens?: boolean;
  /** A re-authorization linked to a browser's live grant keeps its refresh token ('same', default) or gets a new one ('new'). */
  relinkRefreshToken?: 'same' | 'new';
  /** Per-application rate limit; default { perSecond: 50, perMinute: 500 }; false turns it off. */
  rateLimit?: false | { perSecond: number; perMinute: number };
  /** Serve /playground, where a person adds events and disconnects profiles (sandbox demo); default false. */
  playground?: boolean;
  /** Serve the test-control API over HTTP under /__emulator/; default false. */
  controlApi?: boolean;
  /** Events per page of /v1/events; default 10. */
  pageSize?: number;
  /** Members per page of /v1/organizational_unit_members (only pages.current and pages.total); default 100. */
  memberPageSize?: number;
  /** The emulator's clock (epoch ms), for tests of expiry and of the rate limit's windows; default Date.now. */
  now?: () => number;
  /** Where the one start-up line and warnings go; default: nothing. */
  log?: (line: string) => void;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string | string[]>;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON or form body; undefined when there was none. */
  body: unknown;
  status: number;
}

/** A signed callback the emulator decided to POST to an application. */
export interface SentCallback {
  url: string;
  /** content-type and cronofy-hmac-sha256, lower-cased. */
  headers: Record<string, string>;
  /** The exact bytes signed and sent. */
  body: string;
  /** The application's answer, once delivered. */
  status?: number;
  /** Why delivery failed, if it did. */
  error?: string;
}

/** A fault on the next calls to a path (faults.ts). A hang or a race window is a hold instead (holds.ts). */
export interface FaultOptions {
  /** How many matching calls fail; default 1. */
  times?: number;
  /** Only calls with this method; default any. */
  method?: string;
  /** Answer with this status (and body, JSON) instead of the real answer. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Handle the request for real, then cut the connection: the caller never gets the answer. */
  dropAnswer?: boolean;
}

/** What a push notification delivery looked like (control.pushDeliveries()). */
export interface PushDelivery {
  channel_id: string;
  callback_url: string;
  type: string;
  /** The exact body sent. */
  body: string;
  /** The Cronofy-HMAC-SHA256 header sent. */
  signature: string;
  /** Each try: the status answered, or the network error. */
  attempts: { status?: number; error?: string }[];
  delivered: boolean;
}

export interface PushControl {
  /** The profile loses its credentials: profile_connected false, a relink URL, profile_disconnected sent. */
  disconnectProfile(profileId: string): void;
  /** Someone adds an event to the account's primary calendar (outside the API); channels get `change`. Returns its event_uid. */
  changeEvent(accountEmailOrId: string, summary: string): string;
  /** Sends a notification of this type (no extra fields) to every open channel of the account. */
  sendNotification(accountEmailOrId: string, type: string): void;
  /** The account's open channels. */
  openChannels(accountEmailOrId: string): { channel_id: string; callback_url: string; filters: Record<string, unknown> }[];
  /** Every delivery so far (the latest 1,000), oldest first. */
  pushDeliveries(): PushDelivery[];
  /** Resolves once every delivery started so far, retries included, has finished. */
  pushSettled(): Promise<void>;
}

/** An answer the emulator sends as given: a held request's (release) or a fault's. */
export interface Answer {
  status: number;
  /** Sent as JSON; none: an empty body. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request parked on arrival until the test lets it go (holds.ts). */
export interface HeldRequest {
  /** Names the hold over HTTP (/__emulator/hold/:id/...). */
  id: string;
  /** Resolves with the request once it has arrived and is parked. */
  arrived: Promise<RecordedRequest>;
  /** Lets it go: on to its normal answer (worked out now), or answered with `answer`. */
  release(answer?: Answer): void;
}

export interface EmulatorControl extends PushControl {
  /** Every access token issued so far stops working (401) as if expired; refresh tokens keep working. */
  expireAccessTokens(): void;
  /** Revoke the authorization that issued this token or belongs to this sub (account or organizational unit). */
  revokeGrant(tokenOrSub: string): void;
  /** The next calls to `path` (exact path, no query) fail as described. */
  failNext(path: string, fault: FaultOptions): void;
  /** Parks the next call to `path` (exact path, no query; `method` when given) until released; holds on one path catch calls in order. */
  hold(path: string, options?: { method?: string }): HeldRequest;
  /** Answer POST /v1/permissions with this URL in permissions_request.url (e.g. a foreign host); null restores. */
  overridePermissionsUrl(url: string | null): void;
  /** Grants not revoked: the sub and the live refresh token of each. */
  liveGrants(): { sub: string; refresh_token: string }[];
  /** Requests received so far, oldest first. */
  requests(): RecordedRequest[];
  clearRequests(): void;
  /** Enterprise Connect callbacks decided so far, oldest first (sent or not). */
  callbacks(): SentCallback[];
  /** Resolves once every callback decided so far has been answered (or has failed). */
  callbacksSettled(): Promise<void>;
  /**
   * Back to how it started: every grant, code, token, permission, link, channel, delivery, callback,
   * event change and page of events forgotten, the sample world as seeded, faults, holds (parked
   * requests go on), overrides, rate-limit windows and recorded requests gone.
   */
  reset(): void;
}

export interface RunningEmulator {
  /** Base URL, e.g. http://localhost:3001 (the publicUrl). */
  url: string;
  control: EmulatorControl;
  close(): Promise<void>;
}

export const SANDBOX_CLIENT_ID = 'sandbox_client_id';
export const SANDBOX_CLIENT_SECRET = 'sandbox_client_secret_not_for_production';
