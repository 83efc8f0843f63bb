// Helpers for the emulator's own tests: they speak HTTP to it exactly as an application would.
import { consent, submitForm } from '../support/forms';
import { startEmulator } from '../../src/emulator';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/types';

export const REDIRECT_URI = 'http://app.test/oauth/callback';
export const PERMISSIONS_REDIRECT_URI = 'http://app.test/permissions/callback';
export const CLIENT = { client_id: SANDBOX_CLIENT_ID, client_secret: SANDBOX_CLIENT_SECRET };
export const DEFAULT_SCOPE = 'read_account list_calendars read_events create_event delete_event';

export interface TokenAnswer {
  token_type: string;
  access_token: string;
  expires_in: number;
  refresh_token: string;
  scope: string;
  account_id?: string;
  sub?: string;
  linking_profile?: { provider_name: string; profile_id: string; profile_name: string };
}

export const start = (options: EmulatorOptions = {}): Promise<RunningEmulator> =>
  startEmulator({ rateLimit: false, redirectUris: [REDIRECT_URI, PERMISSIONS_REDIRECT_URI], ...options });

export function authorizeUrl(emulator: RunningEmulator, params: Record<string, string> = {}): string {
  const query = new URLSearchParams({ response_type: 'code', client_id: SANDBOX_CLIENT_ID, redirect_uri: REDIRECT_URI, scope: DEFAULT_SCOPE, state: 'st4te', ...params });
  return `${emulator.url}/oauth/authorize?${query.toString()}`;
}

/** A code, as the redirect after Allow carries it. */
export async function codeFor(emulator: RunningEmulator, options: { account?: string; scope?: string } = {}): Promise<string> {
  const back = await consent(authorizeUrl(emulator, options.scope ? { scope: options.scope } : {}), { account: options.account });
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code in ${back.toString()}`);
  return code;
}

export async function post(emulator: RunningEmulator, path: string, body: Record<string, unknown>, encoding: 'json' | 'form' = 'json'): Promise<Response> {
  return fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: encoding === 'json' ? JSON.stringify(body) : new URLSearchParams(body as Record<string, string>).toString(),
  });
}

/** Allow at the consent page, then exchange the code. */
export async function tokensFor(emulator: RunningEmulator, options: { account?: string; scope?: string } = {}): Promise<TokenAnswer> {
  const code = await codeFor(emulator, options);
  const res = await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
  if (res.status !== 200) throw new Error(`token exchange answered ${res.status}`);
  return (await res.json()) as TokenAnswer;
}

export function api(emulator: RunningEmulator, path: string, accessToken: string | undefined, init: RequestInit & { impersonate?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  if (accessToken !== undefined) headers.authorization = `Bearer ${accessToken}`;
  if (init.impersonate !== undefined) headers['cronofy-impersonate'] = init.impersonate;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path.startsWith('http') ? path : `${emulator.url}${path}`, { ...init, headers });
}

/** Extended Permissions on these calendars: granted at once for the Enterprise-Connect-linked account, otherwise Allowed on the approval page. */
export async function grantUnrestricted(emulator: RunningEmulator, accessToken: string, calendarIds: string[]): Promise<void> {
  const permissions = calendarIds.map((calendar_id) => ({ calendar_id, permission_level: 'unrestricted' }));
  const res = await api(emulator, '/v1/permissions', accessToken, { method: 'POST', body: JSON.stringify({ permissions, redirect_uri: PERMISSIONS_REDIRECT_URI }) });
  if (res.status !== 200) throw new Error(`POST /v1/permissions answered ${res.status}`);
  const { permissions_request } = (await res.json()) as { permissions_request: { url?: string; accepted?: boolean } };
  if (permissions_request.accepted) return;
  const url = permissions_request.url ?? '';
  await submitForm(url, await (await fetch(url)).text(), 'Allow');
}
