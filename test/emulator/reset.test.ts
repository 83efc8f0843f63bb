// control.reset(): every kind of state the emulator keeps is dirtied, then reset, then each is
// checked to be gone, through the same HTTP calls an application (or a test) would make.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { consent, type CookieJar } from '../support/forms';
import { SANDBOX_CLIENT_ID, type RunningEmulator } from '../../src/emulator/types';
import { api, authorizeUrl, CLIENT, codeFor, grantUnrestricted, PERMISSIONS_REDIRECT_URI, post, REDIRECT_URI, start, tokensFor, type TokenAnswer } from './support';

const INTERNAL_KEY = 'internal-application-key-for-reset';
const CALLBACK = 'http://app.test/enterprise/callback/k3y';

let emulator: RunningEmulator;
/**
 * A callback receiver that keeps every push notification waiting until answerAll(), then answers
 * 500: a delivery is on its way across the reset, and fails after it (a retry would be due).
 */
let failing: { url: string; hits: () => number; hit: Promise<void>; answerAll(): void; close(): Promise<void> };

beforeAll(async () => {
  let hit!: () => void;
  const hitOnce = new Promise<void>((resolve) => (hit = resolve));
  const waiting: ServerResponse[] = [];
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits += 1;
    waiting.push(res);
    hit();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  failing = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/push/reset`,
    hits: () => hits,
    hit: hitOnce,
    answerAll() {
      for (const res of waiting.splice(0)) res.writeHead(500).end();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  // A retry a minute away: were it not forgotten, pushSettled() would wait for it and the test time out.
  emulator = await start({ internalApplicationKey: INTERNAL_KEY, pageSize: 2, deliverCallbacks: false, pushRetryDelaysMs: [60_000] });
});
afterAll(async () => {
  await emulator.close();
  await failing.close();
});

const json = async <T>(res: Response | Promise<Response>): Promise<T> => (await (await res).json()) as T;
const authorize = async (params: Record<string, string>, account: string, jar?: CookieJar): Promise<TokenAnswer> => {
  const back = await consent(authorizeUrl(emulator, params), { account }, jar);
  return json<TokenAnswer>(post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: REDIRECT_URI }));
};
const profileNames = async (token: string) => (await json<{ profiles: { profile_name: string }[] }>(api(emulator, '/v1/profiles', token))).profiles.map((p) => p.profile_name);
const calendarsOf = async (token: string) =>
  (await json<{ calendars: { calendar_id: string; calendar_name: string; permission_level: string; calendar_primary: boolean }[] }>(api(emulator, '/v1/calendars', token))).calendars;
const summaries = async (token: string, calendarId: string, query = '') =>
  (await json<{ events: { summary: string; event_uid: string }[] }>(api(emulator, `/v1/events?tzid=Etc/UTC&calendar_ids[]=${calendarId}${query}`, token))).events.map((e) => e.summary);

/** A service account's token, through the administrator's Enterprise Connect page. */
async function serviceAccountToken(): Promise<string> {
  const query = new URLSearchParams({ response_type: 'code', client_id: SANDBOX_CLIENT_ID, redirect_uri: REDIRECT_URI, scope: 'service_account/accounts/manage', delegated_scope: 'read_events' });
  const back = await consent(`${emulator.url}/enterprise_connect/oauth/authorize?${query.toString()}`);
  const tokens = await json<TokenAnswer>(post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: REDIRECT_URI }));
  return tokens.access_token;
}

it('forgets every kind of state, and the sample world is as seeded again', async () => {
  // Grants and tokens; a code not yet redeemed.
  const google = await tokensFor(emulator, { account: 'Google' });
  const unredeemed = await codeFor(emulator, { account: 'Microsoft' });
  const googleCalendars = await calendarsOf(google.access_token);
  const primary = googleCalendars.find((c) => c.calendar_primary)!.calendar_id;
  const seededSummaries = await summaries(google.access_token, primary);

  // A permissions request waiting on its approval page; unrestricted access granted at once (the linked account).
  const request = await json<{ permissions_request: { url: string } }>(
    api(emulator, '/v1/permissions', google.access_token, { method: 'POST', body: JSON.stringify({ permissions: [{ calendar_id: primary, permission_level: 'unrestricted' }], redirect_uri: PERMISSIONS_REDIRECT_URI }) }),
  );
  const riley = await tokensFor(emulator, { account: 'Enterprise' });
  const rileyCalendar = (await calendarsOf(riley.access_token))[0]!.calendar_id;
  await api(emulator, '/v1/permissions', riley.access_token, { method: 'POST', body: JSON.stringify({ permissions: [{ calendar_id: rileyCalendar, permission_level: 'unrestricted' }] }) });
  expect((await calendarsOf(riley.access_token))[0]!.permission_level).toBe('unrestricted');

  // Events: one made through the API, a sample one changed, one added by the test control.
  const upsert = (body: Record<string, unknown>) => api(emulator, `/v1/calendars/${primary}/events`, google.access_token, { method: 'POST', body: JSON.stringify(body) });
  const [start, end] = [new Date(Date.now() + 3_600_000).toISOString(), new Date(Date.now() + 7_200_000).toISOString()];
  expect((await upsert({ event_id: 'made-here', summary: 'Made through the API', start, end })).status).toBe(202);
  const sample = (await json<{ events: { event_uid: string }[] }>(api(emulator, `/v1/events?tzid=Etc/UTC&calendar_ids[]=${primary}`, google.access_token))).events[0]!;
  await grantUnrestricted(emulator, google.access_token, [primary]);
  expect((await upsert({ event_uid: sample.event_uid, summary: 'Changed through the API', start, end })).status).toBe(202);
  emulator.control.changeEvent('avery.quinn@northwind.example', 'Added by the test control');

  // A page of events handed out to the organizational unit's token, for a member it impersonates.
  const unit = await tokensFor(emulator, { scope: 'organizational_unit_scheduler' });
  const memberSub = (await json<{ organizational_unit_members: { sub: string; email: string }[] }>(api(emulator, '/v1/organizational_unit_members', unit.access_token)))
    .organizational_unit_members.find((m) => m.email === 'marty@evenitron.com')!.sub;
  const firstPage = await json<{ pages: { next_page: string } }>(api(emulator, '/v1/events?tzid=Etc/UTC', unit.access_token, { impersonate: memberSub }));
  expect((await api(emulator, firstPage.pages.next_page, unit.access_token, { impersonate: memberSub })).status).toBe(200);

  // Links: implicit (one browser, two accounts), explicit (a link token used), a link token kept.
  const browser: CookieJar = {};
  await authorize({}, 'Google', browser);
  expect(await profileNames((await authorize({}, 'Microsoft', browser)).access_token)).toHaveLength(2);
  const linkToken = async () => (await json<{ link_token: string }>(api(emulator, '/v1/link_tokens', google.access_token, { method: 'POST' }))).link_token;
  const joined = await authorize({ link_token: await linkToken() }, 'Microsoft'); // the sample Google account gains a profile
  expect(await profileNames(joined.access_token)).toHaveLength(2);
  const unusedLinkToken = await linkToken();

  // A channel whose deliveries fail (a retry to come); a disconnected profile; its notifications.
  const channel = await api(emulator, '/v1/channels', google.access_token, { method: 'POST', body: JSON.stringify({ callback_url: failing.url }) });
  expect(channel.status).toBe(200);
  const googleProfile = (await json<{ profiles: { profile_id: string }[] }>(api(emulator, '/v1/profiles', google.access_token))).profiles[0]!.profile_id;
  emulator.control.disconnectProfile(googleProfile);
  expect(emulator.control.pushDeliveries().length).toBeGreaterThan(0);

  // An Enterprise Connect callback decided; faults, holds and an override placed; requests recorded.
  const serviceToken = await serviceAccountToken();
  const callbacks = await api(emulator, '/v1/service_account_authorizations', serviceToken, { method: 'POST', body: JSON.stringify({ email: 'sam.okafor@fabrikam.example', callback_url: CALLBACK, scope: 'read_events' }) });
  expect(callbacks.status).toBe(202);
  expect(emulator.control.callbacks()).toHaveLength(1);
  emulator.control.failNext('/v1/userinfo', { status: 500, times: 5 });
  emulator.control.hold('/v1/account');
  emulator.control.overridePermissionsUrl('https://elsewhere.example/approve');
  expect(emulator.control.requests().length).toBeGreaterThan(0);
  await failing.hit; // a delivery is on its way, unanswered

  emulator.control.reset();

  // Recorded requests, callbacks and push deliveries: none; the delivery on its way fails now and
  // is not retried.
  expect(emulator.control.requests()).toEqual([]);
  expect(emulator.control.callbacks()).toEqual([]);
  expect(emulator.control.pushDeliveries()).toEqual([]);
  failing.answerAll();
  await emulator.control.pushSettled();
  const hitsAfterReset = failing.hits();

  // Grants, tokens and codes: gone.
  expect(emulator.control.liveGrants()).toEqual([]);
  expect((await api(emulator, '/v1/calendars', google.access_token)).status).toBe(401);
  const redeemed = await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code: unredeemed, redirect_uri: REDIRECT_URI });
  expect(redeemed.status).toBe(400);
  expect((await fetch(request.permissions_request.url)).status).toBe(404);

  // The unit's grant and the page of events it read: gone. The Internal Application's standing
  // grant outlives the reset (it is configuration); it may read no events, so no page is ever its.
  expect((await api(emulator, firstPage.pages.next_page, unit.access_token, { impersonate: memberSub })).status).toBe(401);
  expect((await api(emulator, '/v1/organizational_unit_members', INTERNAL_KEY)).status).toBe(200);

  // Faults, holds (the /v1/account hold would park this call) and the override: gone.
  const fresh = await tokensFor(emulator, { account: 'Google' });
  expect((await api(emulator, '/v1/userinfo', fresh.access_token)).status).toBe(200);
  expect((await api(emulator, '/v1/account', fresh.access_token)).status).toBe(200);
  const approval = await json<{ permissions_request: { url: string } }>(
    api(emulator, '/v1/permissions', fresh.access_token, { method: 'POST', body: JSON.stringify({ permissions: [{ calendar_id: primary, permission_level: 'unrestricted' }], redirect_uri: PERMISSIONS_REDIRECT_URI }) }),
  );
  expect(approval.permissions_request.url.startsWith(`${emulator.url}/permissions/requests/`)).toBe(true);

  // The sample world: the explicitly linked profile gone, the profile connected, the events as seeded.
  const profiles = await json<{ profiles: { profile_name: string; profile_connected: boolean }[] }>(api(emulator, '/v1/profiles', fresh.access_token));
  expect(profiles.profiles).toEqual([expect.objectContaining({ profile_name: 'avery.quinn@northwind.example', profile_connected: true })]);
  expect(await summaries(fresh.access_token, primary)).toEqual(seededSummaries);
  expect(await summaries(fresh.access_token, primary, '&include_managed=true')).toEqual(seededSummaries);
  expect(emulator.control.openChannels('avery.quinn@northwind.example')).toEqual([]);

  // Permissions granted before: sandbox again.
  const rileyAgain = await tokensFor(emulator, { account: 'Enterprise' });
  expect((await calendarsOf(rileyAgain.access_token)).map((c) => c.permission_level)).toEqual(['sandbox', 'sandbox']);

  // Links: the old browser's cookie no longer joins accounts; the unused link token is refused.
  expect(await profileNames((await authorize({}, 'Microsoft', browser)).access_token)).toEqual(['morgan.lee@contoso.example']);
  const refused = await fetch(authorizeUrl(emulator, { link_token: unusedLinkToken }), { redirect: 'manual' });
  expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');

  expect(failing.hits()).toBe(hitsAfterReset);
});

it('starts the rate limit windows again', async () => {
  const frozen = () => 1_700_000_000_250; // every call in one window, however slowly they come
  const limited = await start({ rateLimit: { perSecond: 2, perMinute: 1000 }, now: frozen });
  try {
    const statuses = async (n: number) => Promise.all(Array.from({ length: n }, async () => (await api(limited, '/v1/calendars', 'x')).status));
    expect((await statuses(3)).sort()).toEqual([401, 401, 429]);
    limited.control.reset();
    expect(await statuses(2)).toEqual([401, 401]);
  } finally {
    await limited.close();
  }
});
