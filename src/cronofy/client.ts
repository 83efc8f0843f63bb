// A typed Cronofy client for one data center.
// - Knows nothing of Express or sessions, holds no token state: every call is given its token.
// - Every call has a timeout and a bounded answer size; only idempotent GETs are retried
//   (5xx, 429 with a short Retry-After, network errors), never a code exchange.
// - One deadline covers a call and its retries, and inside a page (cronofy/deadline.ts) every
//   call of that page: a hung Cronofy costs a page at most `timeoutMs`, not a multiple of it.
// - A 429 holds every call to this data center, from every instance (cronofy/quota-hold.ts):
//   during a hold a call waits a short hold out, and fails at once with rate_limited otherwise.
// - Errors are CronofyError, built from the status and Cronofy's body, never from axios's error
//   object (which carries the Authorization header and the client secret).
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import type { CronofyHosts } from './data-centers';
import { CronofyError, type CronofyErrorCode } from './errors';
import { pageDeadline } from './deadline';
import type { QuotaHold } from './quota-hold';
import type {
  Calendar,
  Channel,
  ChannelFilters,
  CronofyEvent,
  Profile,
  OrganizationalUnitMember,
  Pages,
  PermissionsRequestAnswer,
  ServiceAccountAuthorization,
  TokenResponse,
  UserInfo,
} from './types';

export interface CronofyCall {
  method: string;
  /** Path without query string or host. */
  path: string;
  status: number | undefined;
  ms: number;
  impersonating?: string;
}

export interface CronofyClientOptions {
  hosts: CronofyHosts;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number;
  /** Retries for idempotent GETs; default 2. */
  getRetries?: number;
  /** Longest Retry-After (seconds) worth waiting for inside a request; default 2. */
  maxRetryAfterSeconds?: number;
  /** Told about every HTTP call made (for logs and the flow inspector); never sees tokens. */
  onCall?: (call: CronofyCall) => void;
  /** The application-wide hold after a 429, shared by every instance; none: no hold. */
  hold?: QuotaHold;
}

/** How a call is authorized: the connection's access token, optionally acting for a member. */
export interface Bearer {
  accessToken: string;
  /** A member's sub for the Cronofy-Impersonate header (Organization Connect). */
  impersonate?: string;
}

/** Members read, and how many further pages Cronofy reported without linking to them. */
export interface MemberList {
  members: OrganizationalUnitMember[];
  unreadPages: number;
}

export interface PermissionRequest {
  calendar_id: string;
  permission_level: 'unrestricted';
}

const MAX_ANSWER_BYTES = 1024 * 1024;
const MAX_MEMBER_PAGES = 50;
const MAX_EVENT_PAGES = 5;

/** Extra authorize parameters: pre-select a provider, keep the account separate, or join an existing one. */
export interface AuthorizeOptions {
  provider_name?: string;
  avoid_linking?: boolean;
  link_token?: string;
}

export function createCronofyClient(options: CronofyClientOptions) {
  const { hosts, clientId, clientSecret } = options;
  const getRetries = options.getRetries ?? 2;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 2;
  const http_: AxiosInstance = axios.create({
    timeout: timeoutMs,
    maxContentLength: MAX_ANSWER_BYTES,
    maxRedirects: 0,
    // Idle sockets are dropped after 4 s, before a server with Node's default 5 s keep-alive closes
    // them: reusing one as it closes fails with "socket hang up", and a token POST is not retried.
    httpAgent: new http.Agent({ keepAlive: true, timeout: 4000 }),
    httpsAgent: new https.Agent({ keepAlive: true, timeout: 4000 }),
    headers: { 'User-Agent': 'cronofy-connect-demo', Accept: 'application/json' },
    validateStatus: () => true,
    transitional: { clarifyTimeoutError: true },
  });

  async function send(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    init: { data?: unknown; bearer?: Bearer } = {},
  ): Promise<AxiosResponse> {
    const path = new URL(url).pathname;
    const headers: Record<string, string> = {};
    if (init.bearer) {
      headers.Authorization = `Bearer ${init.bearer.accessToken}`;
      if (init.bearer.impersonate) headers['Cronofy-Impersonate'] = init.bearer.impersonate;
    }
    if (init.data !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';

    const deadline = Math.min(performance.now() + timeoutMs, pageDeadline() ?? Infinity);
    const timeLeft = () => deadline - performance.now();
    const outOfTime = () =>
      new CronofyError('unavailable', `Cronofy did not answer ${method} ${path} within the page's time`, { error: 'deadline', endpoint: `${method} ${path}` });

    for (let attempt = 0; ; attempt++) {
      const held = (await options.hold?.remainingMs()) ?? 0;
      if (held > 0) {
        if (held > maxRetryAfter * 1000 || held >= timeLeft()) throw heldError(held, `${method} ${path}`);
        await delay(held);
      }
      if (timeLeft() <= 0) throw outOfTime();
      const started = performance.now();
      let response: AxiosResponse | undefined;
      let failure: unknown;
      // axios's timeout only notices silence; the abort bounds the whole call. (A timer cleared
      // afterwards, not AbortSignal.timeout, which would keep every call's signal alive for timeoutMs.)
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeLeft());
      try {
        response = await http_.request({ method, url, data: init.data, headers, signal: abort.signal, timeout: Math.max(1, Math.ceil(timeLeft())) });
      } catch (err) {
        failure = err;
      } finally {
        clearTimeout(timer);
      }
      options.onCall?.({
        method,
        path,
        status: response?.status,
        ms: Math.round(performance.now() - started),
        impersonating: init.bearer?.impersonate,
      });

      const retryable = method === 'GET' && attempt < getRetries;
      if (failure !== undefined) {
        // An answer too large to read would be as large again: only network failures are retried.
        const unreadable = isAxiosError(failure) && failure.code === 'ERR_BAD_RESPONSE';
        const pause = backoff(attempt);
        if (retryable && !unreadable && pause < timeLeft()) {
          await delay(pause);
          continue;
        }
        throw networkError(failure, `${method} ${path}`);
      }
      const answer = response as AxiosResponse;
      if (answer.status < 400) return answer;
      const error = statusError(answer, `${method} ${path}`, Boolean(init.bearer?.impersonate));
      const wait = error.details.retryAfter;
      if (error.code === 'rate_limited') await options.hold?.hold(wait ?? backoff(attempt) / 1000);
      const pause = wait !== undefined ? wait * 1000 : backoff(attempt);
      const worthRetrying =
        error.code === 'unavailable' || (error.code === 'rate_limited' && (wait ?? 0) <= maxRetryAfter);
      if (retryable && worthRetrying && pause < timeLeft()) {
        await delay(pause); // then the hold is read again: another instance may have lengthened it
        continue;
      }
      throw error;
    }
  }

  const api = (path: string) => `${hosts.apiUrl}${path}`;

  async function tokenRequest(body: Record<string, string>): Promise<TokenResponse> {
    const answer = await send('POST', api('/oauth/token'), {
      data: { client_id: clientId, client_secret: clientSecret, ...body },
    });
    return parseTokenResponse(answer.data);
  }

  return {
    hosts,

    /** https://docs.cronofy.com/developers/api/authorization/request-authorization/ */
    authorizationUrl(params: { redirect_uri: string; scope: string; state: string } & AuthorizeOptions): string {
      const url = new URL('/oauth/authorize', hosts.appUrl);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: params.redirect_uri,
        scope: params.scope,
        state: params.state,
        ...(params.provider_name ? { provider_name: params.provider_name } : {}),
        ...(params.avoid_linking ? { avoid_linking: 'true' } : {}),
        ...(params.link_token ? { link_token: params.link_token } : {}),
      })
        .toString()
        .replace(/\+/g, '%20');
      return url.toString();
    },

    /** https://docs.cronofy.com/developers/api/enterprise-connect/request-authorization/ */
    enterpriseConnectAuthorizationUrl(params: { redirect_uri: string; scope: string; delegated_scope: string; state: string }): string {
      const url = new URL('/enterprise_connect/oauth/authorize', hosts.appUrl);
      url.search = new URLSearchParams({ response_type: 'code', client_id: clientId, ...params }).toString().replace(/\+/g, '%20');
      return url.toString();
    },

    /** https://docs.cronofy.com/developers/api/enterprise-connect/delegated-access/ : 202, the answer comes to callback_url later. */
    async authorizeWithServiceAccount(bearer: Bearer, body: ServiceAccountAuthorization): Promise<void> {
      await send('POST', api('/v1/service_account_authorizations'), { bearer, data: body });
    },

    requestAccessToken(params: { code: string; redirect_uri: string }): Promise<TokenResponse> {
      return tokenRequest({ grant_type: 'authorization_code', code: params.code, redirect_uri: params.redirect_uri });
    },

    refreshAccessToken(refresh_token: string): Promise<TokenResponse> {
      return tokenRequest({ grant_type: 'refresh_token', refresh_token });
    },

    /** RFC 7009 style: 200 whether or not the token was still valid. */
    async revokeAuthorization(target: { token: string } | { sub: string }): Promise<void> {
      await send('POST', api('/oauth/token/revoke'), {
        data: { client_id: clientId, client_secret: clientSecret, ...target },
      });
    },

    async listCalendars(bearer: Bearer): Promise<Calendar[]> {
      const answer = await send('GET', api('/v1/calendars'), { bearer });
      return arrayField<Calendar>(answer.data, 'calendars');
    },

    async userInfo(bearer: Bearer): Promise<UserInfo> {
      const answer = await send('GET', api('/v1/userinfo'), { bearer });
      if (!isObject(answer.data) || typeof answer.data.sub !== 'string') throw unexpected('GET /v1/userinfo');
      return answer.data as unknown as UserInfo;
    },

    /** https://docs.cronofy.com/developers/api/authorization/extended-permissions/ */
    async elevatedPermissions(
      bearer: Bearer,
      body: { permissions: PermissionRequest[]; redirect_uri: string },
    ): Promise<PermissionsRequestAnswer['permissions_request']> {
      const answer = await send('POST', api('/v1/permissions'), { bearer, data: body });
      const request = isObject(answer.data) ? answer.data.permissions_request : undefined;
      if (!isObject(request)) throw unexpected('POST /v1/permissions');
      return {
        url: typeof request.url === 'string' ? request.url : undefined,
        accepted: request.accepted === true,
      };
    },

    /**
     * The members, following pages.next_page when Cronofy sends one (it must stay on the API host, as
     * it carries our token). The documented answer has only pages.current and pages.total, and no way
     * to ask for page 2: `unread` counts the pages Cronofy reported but did not link to.
     */
    async listOrganizationalUnitMembers(bearer: Bearer): Promise<MemberList> {
      const members: OrganizationalUnitMember[] = [];
      let url: string | undefined = api('/v1/organizational_unit_members');
      let unread = 0;
      for (let page = 0; url !== undefined; page++) {
        if (page >= MAX_MEMBER_PAGES) throw unexpected('GET /v1/organizational_unit_members (too many pages)');
        const answer: AxiosResponse = await send('GET', url, { bearer });
        members.push(...arrayField<OrganizationalUnitMember>(answer.data, 'organizational_unit_members'));
        const pages = (isObject(answer.data) ? answer.data.pages : undefined) as Pages | undefined;
        const next: unknown = pages?.next_page;
        if (next !== undefined && (typeof next !== 'string' || !URL.canParse(next))) throw unexpected('GET /v1/organizational_unit_members (next_page)');
        url = next;
        if (url !== undefined && new URL(url).origin !== new URL(hosts.apiUrl).origin) {
          throw unexpected('GET /v1/organizational_unit_members (next_page on another host)');
        }
        const current = typeof pages?.current === 'number' ? pages.current : 0;
        const total = typeof pages?.total === 'number' ? pages.total : 0;
        unread = url === undefined && total > current ? total - current : 0;
      }
      return { members, unreadPages: unread };
    },

    /** https://docs.cronofy.com/developers/api/push-notifications/create-channel/ */
    async createChannel(bearer: Bearer, body: { callback_url: string; filters?: ChannelFilters }): Promise<Channel> {
      const answer = await send('POST', api('/v1/channels'), { bearer, data: body });
      const channel = isObject(answer.data) ? answer.data.channel : undefined;
      if (!isObject(channel) || typeof channel.channel_id !== 'string') throw unexpected('POST /v1/channels');
      return channel as unknown as Channel;
    },

    async listChannels(bearer: Bearer): Promise<Channel[]> {
      const answer = await send('GET', api('/v1/channels'), { bearer });
      return arrayField<Channel>(answer.data, 'channels');
    },

    /** 202 when closed; a 404 (already gone) is an error the caller may ignore. */
    async closeChannel(bearer: Bearer, channelId: string): Promise<void> {
      await send('DELETE', api(`/v1/channels/${encodeURIComponent(channelId)}`), { bearer });
    },

    /** https://docs.cronofy.com/developers/api/identity/profile/ */
    async listProfiles(bearer: Bearer): Promise<Profile[]> {
      const answer = await send('GET', api('/v1/profiles'), { bearer });
      return arrayField<Profile>(answer.data, 'profiles');
    },

    /** https://docs.cronofy.com/developers/api-alpha/explicit-linking/ */
    async createLinkToken(bearer: Bearer): Promise<string> {
      const answer = await send('POST', api('/v1/link_tokens'), { bearer });
      const token = isObject(answer.data) ? answer.data.link_token : undefined;
      if (typeof token !== 'string' || token.length === 0) throw unexpected('POST /v1/link_tokens');
      return token;
    },

    /** Events changed since `last_modified` (a push notification's changes_since), following next_page on the API host. */
    async readChangedEvents(bearer: Bearer, lastModified: string): Promise<CronofyEvent[]> {
      const events: CronofyEvent[] = [];
      const query = new URLSearchParams({ tzid: 'Etc/UTC', last_modified: lastModified, include_managed: 'true' });
      let url: string | undefined = `${api('/v1/events')}?${query.toString()}`;
      for (let page = 0; url !== undefined; page++) {
        if (page >= MAX_EVENT_PAGES) break; // the newest pages are enough to show what changed
        const answer: AxiosResponse = await send('GET', url, { bearer });
        events.push(...arrayField<CronofyEvent>(answer.data, 'events'));
        const next: unknown = ((isObject(answer.data) ? answer.data.pages : undefined) as Pages | undefined)?.next_page;
        url = typeof next === 'string' && URL.canParse(next) && new URL(next).origin === new URL(hosts.apiUrl).origin ? next : undefined;
      }
      return events;
    },
  };
}

export type CronofyClient = ReturnType<typeof createCronofyClient>;

function parseTokenResponse(body: unknown): TokenResponse {
  const valid =
    isObject(body) &&
    typeof body.access_token === 'string' &&
    body.access_token.length > 0 &&
    typeof body.token_type === 'string' &&
    body.token_type.toLowerCase() === 'bearer' &&
    typeof body.expires_in === 'number' &&
    (body.refresh_token === undefined || typeof body.refresh_token === 'string');
  if (!valid) throw unexpected('POST /oauth/token');
  // scope is documented on every answer; a server that leaves it out grants nothing we can name.
  return { ...(body as unknown as TokenResponse), scope: typeof body.scope === 'string' ? body.scope : '' };
}

function arrayField<T>(body: unknown, field: string): T[] {
  const value = isObject(body) ? body[field] : undefined;
  if (!Array.isArray(value)) throw unexpected(`answer without "${field}"`);
  return value as T[];
}

function statusError(answer: AxiosResponse, endpoint: string, impersonating: boolean): CronofyError {
  const status = answer.status;
  const body = isObject(answer.data) ? answer.data : {};
  const oauthError = typeof body.error === 'string' ? body.error.slice(0, 64) : undefined;
  const description = typeof body.error_description === 'string' ? body.error_description.slice(0, 200) : undefined;
  const retryAfter = parseRetryAfter(answer.headers['retry-after']);
  const details = { status, error: oauthError, description, errors: body.errors, retryAfter, endpoint, impersonating };

  let code: CronofyErrorCode;
  if (oauthError === 'invalid_grant') code = 'invalid_grant';
  else if (oauthError === 'invalid_client') code = 'invalid_client';
  else if (status === 401) code = 'unauthorized';
  else if (status === 403) code = 'forbidden';
  else if (status === 404) code = 'not_found';
  else if (status === 429) code = 'rate_limited';
  else if (status >= 500) code = 'unavailable';
  else if (status === 400 || status === 422) code = 'invalid_request';
  else code = 'unexpected';
  return new CronofyError(code, `Cronofy answered ${status} to ${endpoint}${oauthError ? ` (${oauthError})` : ''}`, details);
}

function networkError(err: unknown, endpoint: string): CronofyError {
  const reason = isAxiosError(err) ? (err.code ?? 'network error') : 'network error';
  if (isAxiosError(err) && err.code === 'ERR_BAD_RESPONSE') return unexpected(endpoint);
  return new CronofyError('unavailable', `Cronofy could not be reached for ${endpoint} (${reason})`, {
    error: reason,
    endpoint,
  });
}

function heldError(ms: number, endpoint: string): CronofyError {
  return new CronofyError('rate_limited', `Calls to Cronofy are on hold for ${Math.ceil(ms / 1000)} s after a 429 (${endpoint} not sent)`, {
    status: 429,
    retryAfter: Math.ceil(ms / 1000),
    endpoint,
  });
}

function unexpected(endpoint: string): CronofyError {
  return new CronofyError('unexpected', `Cronofy's answer to ${endpoint} was not what the API documents`, { endpoint });
}

/** Seconds, from delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
function parseRetryAfter(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d{1,12}$/.test(value)) return Number(value);
  const date = parseHttpDate(value);
  return date === undefined ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * An HTTP date in any of the three forms a recipient must read (RFC 9110 §5.6.7), as ms since the
 * epoch: IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 `Sunday, 06-Nov-94
 * 08:49:37 GMT` (a two-digit year more than 50 years ahead is the century before) and asctime
 * `Sun Nov  6 08:49:37 1994`. Anything else: undefined.
 */
function parseHttpDate(value: string): number | undefined {
  const imf = /^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(value);
  const rfc850 = /^[A-Z][a-z]+day, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(value);
  const asctime = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(value);
  let parts: [day: string, month: string, year: number, h: string, m: string, s: string] | undefined;
  if (imf) parts = [imf[1]!, imf[2]!, Number(imf[3]), imf[4]!, imf[5]!, imf[6]!];
  else if (rfc850) {
    const thisYear = new Date().getUTCFullYear();
    let year = thisYear - (thisYear % 100) + Number(rfc850[3]);
    if (year > thisYear + 50) year -= 100;
    parts = [rfc850[1]!, rfc850[2]!, year, rfc850[4]!, rfc850[5]!, rfc850[6]!];
  } else if (asctime) parts = [asctime[2]!, asctime[1]!, Number(asctime[6]), asctime[3]!, asctime[4]!, asctime[5]!];
  const month = parts ? MONTHS.indexOf(parts[1]) : -1;
  if (!parts || month < 0) return undefined;
  const [day, hours, minutes, second] = [parts[0], parts[3], parts[4], parts[5]].map(Number) as [number, number, number, number];
  const seconds = second === 60 ? 59 : second; // a leap second (RFC 9110 allows 60): near enough
  const ms = Date.UTC(parts[2], month, day, hours, minutes, seconds);
  const date = new Date(ms); // 31 Feb or 25:61 would roll over into another date: not a date at all
  const exact = date.getUTCMonth() === month && date.getUTCDate() === day && date.getUTCHours() === hours && date.getUTCMinutes() === minutes && date.getUTCSeconds() === seconds;
  return exact ? ms : undefined;
}

function backoff(attempt: number): number {
  return 200 * 2 ** attempt + Math.floor(Math.random() * 100);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
