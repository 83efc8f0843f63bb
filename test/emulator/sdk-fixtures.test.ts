// The official SDKs' test fixtures, replayed against the emulator: each request sent the way that
// SDK sends it (host role, encoding, headers, parameter formats), with the emulator's own ids in
// place of the fixture's, and each answer checked for the status the docs give and the fields that
// SDK's parser reads. Sources (public repositories, pinned in docs/emulator.md):
//   Ruby   cronofy/cronofy-ruby   spec/lib/cronofy/auth_spec.rb, client_spec.rb, errors_spec.rb
//   C#     cronofy/cronofy-csharp test/Cronofy.Test/** (UpsertEvent.cs, DeleteEvent.cs, GetEvents.cs, ...)
//   PHP    cronofy/cronofy-php    tests/CronofyTest.php
//   Python cronofy/pycronofy      pycronofy/tests/test_client.py, test_datetime_utils.py, client.py
//   Node   cronofy/cronofy-node   test/index.spec.js (and the package itself, in sdk.test.ts)
import type { RunningEmulator } from '../../src/emulator/types';
import { api, CLIENT, codeFor, PERMISSIONS_REDIRECT_URI, REDIRECT_URI, start, tokensFor, type TokenAnswer } from './support';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await start();
});
afterAll(() => emulator.close());

const RUBY = { 'user-agent': 'Cronofy Ruby 0.41.2', 'content-type': 'application/x-www-form-urlencoded' };
const CSHARP = { 'content-type': 'application/json; charset=utf-8' };
const PHP = { 'content-type': 'application/json; charset=utf-8', accept: 'application/json' };
const PYTHON = { 'user-agent': 'pycronofy 2.0.0', 'content-type': 'application/json' };

async function send(path: string, init: { method?: string; headers?: Record<string, string>; body?: string; token?: string }): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  return fetch(`${emulator.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body });
}
const form = (body: Record<string, string>) => new URLSearchParams(body).toString();
const bodyOf = async (res: Response): Promise<Record<string, unknown>> => (await res.json()) as Record<string, unknown>;

/** What every SDK's token parser reads (Ruby Credentials, C# OAuthToken, PHP, Python, Node). */
function expectTokenParsable(body: Record<string, unknown>) {
  expect(body).toMatchObject({ token_type: 'bearer', access_token: expect.any(String), refresh_token: expect.any(String), expires_in: expect.any(Number), scope: expect.any(String) });
}

/** Ruby's Cronofy::EventTime and C#'s EventTime converter: a date, or a UTC time to the second. */
const CRONOFY_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$/;
function expectEventsParsable(body: Record<string, unknown>) {
  const pages = body.pages as { current: unknown; total: unknown; next_page?: unknown };
  expect(pages).toMatchObject({ current: expect.any(Number), total: expect.any(Number) });
  // PHP loops while next_page is set, so it is absent (never "") on the last page.
  if ('next_page' in pages) expect(pages.next_page).toMatch(/^http/);
  for (const event of body.events as Record<string, unknown>[]) {
    expect(event).toMatchObject({ calendar_id: expect.any(String), event_uid: expect.any(String), summary: expect.any(String), deleted: expect.any(Boolean) });
    expect(event.start).toMatch(CRONOFY_TIME);
    expect(event.end).toMatch(CRONOFY_TIME);
    expect(event.created).toMatch(CRONOFY_TIME);
    expect(event.updated).toMatch(CRONOFY_TIME);
  }
}

async function firstWritableCalendar(token: string): Promise<string> {
  const { calendars } = (await bodyOf(await api(emulator, '/v1/calendars', token))) as { calendars: { calendar_id: string; calendar_readonly: boolean }[] };
  return calendars.find((c) => !c.calendar_readonly)!.calendar_id;
}

describe('Ruby SDK fixtures', () => {
  it('auth_spec: get_token_from_code posts a form to the app host /oauth/token; refresh! and revoke! post forms to the api host', async () => {
    const code = await codeFor(emulator);
    const exchanged = await send('/oauth/token', { method: 'POST', headers: RUBY, body: form({ client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, code, grant_type: 'authorization_code', redirect_uri: REDIRECT_URI }) });
    expect(exchanged.status).toBe(200);
    const token = await bodyOf(exchanged);
    expectTokenParsable(token);

    const refreshed = await send('/oauth/token', { method: 'POST', headers: RUBY, body: form({ client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, grant_type: 'refresh_token', refresh_token: String(token.refresh_token) }) });
    expect(refreshed.status).toBe(200);
    const rotated = await bodyOf(refreshed);
    expectTokenParsable(rotated);

    const revoked = await send('/oauth/token/revoke', { method: 'POST', headers: RUBY, body: form({ client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, token: String(rotated.refresh_token) }) });
    expect(revoked.status).toBe(200);
    expect(await revoked.text()).toBe('');
    expect((await api(emulator, '/v1/calendars', String(rotated.access_token))).status).toBe(401);
  });

  it('client_spec revoke_by_sub: {client_id, client_secret, sub} answers 200 and ends the authorization', async () => {
    const tokens = await tokensFor(emulator, { account: 'Microsoft' });
    const res = await send('/oauth/token/revoke', { method: 'POST', headers: { ...RUBY, 'content-type': 'application/json' }, body: JSON.stringify({ ...CLIENT, sub: tokens.sub }) });
    expect(res.status).toBe(200);
    expect((await api(emulator, '/v1/calendars', tokens.access_token)).status).toBe(401);
  });

  it('client_spec read_events "when all params are passed": times with T and Z, include_deleted=false, include_moved=true, last_modified', async () => {
    const tokens = await tokensFor(emulator);
    const query = 'from=2014-09-01T00:00:01Z&to=2014-10-01T00:00:01Z&tzid=Etc/UTC&include_deleted=false&include_moved=true&last_modified=2014-08-01T00:00:01Z';
    const res = await send(`/v1/events?${query}`, { token: tokens.access_token, headers: { 'user-agent': RUBY['user-agent'] } });
    expect(res.status).toBe(200);
    expectEventsParsable(await bodyOf(res));
    // The same formats around today, so there are events to parse.
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const around = await send(`/v1/events?from=${day(-1)}T00:00:01Z&to=${day(2)}T00:00:01Z&tzid=Etc/UTC&include_deleted=false&include_moved=true`, { token: tokens.access_token });
    const body = await bodyOf(around);
    expect((body.events as unknown[]).length).toBeGreaterThan(0);
    expectEventsParsable(body);
  });

  it('client_spec elevated_permissions: with redirect_uri a url; "without uri supplied" accepted for an Enterprise-Connect-linked account', async () => {
    const tokens = await tokensFor(emulator);
    const calendarId = await firstWritableCalendar(tokens.access_token);
    const withUri = await send('/v1/permissions', { method: 'POST', token: tokens.access_token, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ permissions: [{ calendar_id: calendarId, permission_level: 'unrestricted' }], redirect_uri: PERMISSIONS_REDIRECT_URI }) });
    expect(withUri.status).toBe(200);
    expect(((await bodyOf(withUri)).permissions_request as { url: string }).url).toMatch(/^http/);

    const linked = await tokensFor(emulator, { account: 'Enterprise' });
    const linkedCalendar = await firstWritableCalendar(linked.access_token);
    const withoutUri = await send('/v1/permissions', { method: 'POST', token: linked.access_token, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ permissions: [{ calendar_id: linkedCalendar, permission_level: 'unrestricted' }] }) });
    expect(withoutUri.status).toBe(200);
    expect(await bodyOf(withoutUri)).toEqual({ permissions_request: { accepted: true } });
  });

  it('errors_spec: a 422 body is {"errors": {field: [{key, description}]}}', async () => {
    const tokens = await tokensFor(emulator);
    const calendarId = await firstWritableCalendar(tokens.access_token);
    const res = await send(`/v1/calendars/${encodeURIComponent(calendarId)}/events`, { method: 'POST', token: tokens.access_token, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ summary: 'x', start: '2014-08-05T15:30:00Z', end: '2014-08-05T17:00:00Z' }) });
    expect(res.status).toBe(422);
    expect(await bodyOf(res)).toEqual({ errors: { event_id: [{ key: 'errors.required', description: 'required' }] } });
  });
});

describe('C# SDK fixtures', () => {
  let tokens: TokenAnswer;
  let calendarId: string;
  beforeAll(async () => {
    const code = await codeFor(emulator);
    // GetTokenFromCode: JSON to https://app.cronofy.com/oauth/token (the app host role).
    const res = await send('/oauth/token', { method: 'POST', headers: CSHARP, body: JSON.stringify({ client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }) });
    expect(res.status).toBe(200);
    tokens = (await res.json()) as TokenAnswer;
    calendarId = await firstWritableCalendar(tokens.access_token);
  });

  it('GetTokenFromCode and GetTokenFromRefreshToken: JSON with charset, tokens and linking_profile', async () => {
    expectTokenParsable(tokens as unknown as Record<string, unknown>);
    expect(tokens.linking_profile).toMatchObject({ provider_name: expect.any(String), profile_id: expect.any(String), profile_name: expect.any(String) });
    const res = await send('/oauth/token', { method: 'POST', headers: CSHARP, body: JSON.stringify({ client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, grant_type: 'refresh_token', refresh_token: tokens.refresh_token }) });
    expect(res.status).toBe(200);
    tokens = { ...tokens, ...((await res.json()) as TokenAnswer) };
  });

  it('UpsertEvent.CanUpsertEvent: the literal body, times "2014-08-05 15:30:00Z" in {time, tzid} objects, answers 202', async () => {
    const body =
      '{"event_id":"qTtZdczOccgaPncGJaCiLg","summary":"Board meeting","description":"Discuss plans for the next quarter",' +
      '"start":{"time":"2014-08-05 15:30:00Z","tzid":"Etc/UTC"},"end":{"time":"2014-08-05 17:00:00Z","tzid":"Etc/UTC"},"location":{"description":"Board room"}}';
    const res = await send(`/v1/calendars/${encodeURIComponent(calendarId)}/events`, { method: 'POST', token: tokens.access_token, headers: CSHARP, body });
    expect(res.status).toBe(202);
    const events = (await bodyOf(await send('/v1/events?tzid=Etc%2FUTC&localized_times=true&only_managed=true', { token: tokens.access_token }))).events as Record<string, unknown>[];
    expect(events.find((e) => e.event_id === 'qTtZdczOccgaPncGJaCiLg')).toMatchObject({ start: '2014-08-05T15:30:00Z', end: '2014-08-05T17:00:00Z', location: { description: 'Board room' } });
  });

  it('DeleteEvent.CanDeleteEvent: {"event_id": ...} answers 202', async () => {
    const res = await send(`/v1/calendars/${encodeURIComponent(calendarId)}/events`, { method: 'DELETE', token: tokens.access_token, headers: CSHARP, body: '{"event_id":"qTtZdczOccgaPncGJaCiLg"}' });
    expect(res.status).toBe(202);
  });

  it('GetEvents: tzid=Etc%2FUTC&localized_times=true, last_modified in the "u" format, and every include flag', async () => {
    const lastModified = new Date(Date.now() - 15 * 60_000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    for (const query of [
      'tzid=Etc%2FUTC&localized_times=true',
      `tzid=Etc%2FUTC&localized_times=true&last_modified=${encodeURIComponent(lastModified)}`,
      'tzid=Etc%2FUTC&localized_times=true&from=2015-10-20&to=2015-10-30',
      'tzid=Etc%2FUTC&localized_times=true&include_deleted=true',
      'tzid=Etc%2FUTC&localized_times=true&include_moved=true',
      'tzid=Etc%2FUTC&localized_times=true&include_managed=true',
      'tzid=Etc%2FUTC&localized_times=true&only_managed=true',
      `tzid=Etc%2FUTC&localized_times=true&${encodeURIComponent('calendar_ids[]')}=${encodeURIComponent(calendarId)}`,
    ]) {
      const res = await send(`/v1/events?${query}`, { token: tokens.access_token });
      expect([query, res.status]).toEqual([query, 200]);
      expectEventsParsable(await bodyOf(res));
    }
  });

  it('UpsertEvent for an external event (event_uid) answers 202', async () => {
    const { events } = (await bodyOf(await send('/v1/events?tzid=Etc%2FUTC', { token: tokens.access_token }))) as { events: { event_uid: string; calendar_id: string; start: string; end: string }[] };
    const external = events.find((e) => e.calendar_id === calendarId)!;
    const body = JSON.stringify({ event_uid: external.event_uid, summary: 'Updated externally', start: { time: external.start.replace('T', ' '), tzid: 'Etc/UTC' }, end: { time: external.end.replace('T', ' '), tzid: 'Etc/UTC' } });
    expect((await send(`/v1/calendars/${encodeURIComponent(calendarId)}/events`, { method: 'POST', token: tokens.access_token, headers: CSHARP, body })).status).toBe(202);
  });

  it('GetUserInfo: sub, cronofy.type, cronofy.data.authorization, profiles with profile_calendars, conferencing_profiles', async () => {
    const jordan = await tokensFor(emulator, { account: 'iCloud' });
    const info = await bodyOf(await send('/v1/userinfo', { token: jordan.access_token }));
    expect(info).toMatchObject({ sub: expect.stringMatching(/^acc_/), 'cronofy.type': 'account' });
    const data = info['cronofy.data'] as { authorization: unknown; profiles: Record<string, unknown>[]; conferencing_profiles: Record<string, unknown>[] };
    expect(data.authorization).toMatchObject({ scope: expect.any(String), status: 'active' });
    for (const profile of data.profiles) {
      expect(profile).toMatchObject({ provider_name: expect.any(String), profile_id: expect.any(String), profile_name: expect.any(String), profile_connected: expect.any(Boolean), profile_calendars: expect.any(Array) });
    }
    for (const profile of data.conferencing_profiles) expect(profile).toMatchObject({ provider_name: expect.any(String), profile_connected: expect.any(Boolean) });
  });

  it('RevokeToken: JSON {client_id, client_secret, token} to the app host role answers 200, empty', async () => {
    const res = await send('/oauth/token/revoke', { method: 'POST', headers: CSHARP, body: JSON.stringify({ ...CLIENT, token: tokens.refresh_token }) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('PHP SDK fixtures', () => {
  it('testRequestToken / refresh: JSON with charset to the api host role', async () => {
    const code = await codeFor(emulator);
    const res = await send('/oauth/token', { method: 'POST', headers: PHP, body: JSON.stringify({ client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }) });
    expect(res.status).toBe(200);
    expectTokenParsable(await bodyOf(res));
  });

  it('testUpsertEvent and testUpdateExternalEvent: the full event body (tzid, location lat/long, reminders, attendees, color, conferencing) answers 202', async () => {
    const tokens = await tokensFor(emulator);
    const calendarId = await firstWritableCalendar(tokens.access_token);
    const base = {
      summary: 'Upsert Event Test',
      description: 'description example',
      start: '2017-01-01T12:00:00Z',
      end: '2017-01-01T15:00:00Z',
      tzid: 'Europe/London',
      location: { description: 'board room', latitude: '12.2344', longitude: '45.2444' },
      reminders: [{ minutes: 30 }, { minutes: 1440 }],
      attendees: { invite: [{ email: 'new_invitee@test.com', display_name: 'New Invitee' }], reject: [{ email: 'old_invitee@test.com', display_name: 'Old Invitee' }] },
      event_private: true,
      reminders_create_only: true,
      transparency: 'opaque',
      color: '#c6040f',
      conferencing: { profile_id: 'default' },
    };
    const path = `/v1/calendars/${encodeURIComponent(calendarId)}/events`;
    expect((await send(path, { method: 'POST', token: tokens.access_token, headers: PHP, body: JSON.stringify({ event_id: 'event_id', ...base }) })).status).toBe(202);
    expect((await send(path, { method: 'POST', token: tokens.access_token, headers: PHP, body: JSON.stringify({ event_uid: 'external_event_id', ...base }) })).status).toBe(202);
  });

  it('testDeleteExternalEvent: {"event_uid": ...} answers 202', async () => {
    const tokens = await tokensFor(emulator);
    const calendarId = await firstWritableCalendar(tokens.access_token);
    const res = await send(`/v1/calendars/${encodeURIComponent(calendarId)}/events`, { method: 'DELETE', token: tokens.access_token, headers: PHP, body: JSON.stringify({ event_uid: 'external_event_id' }) });
    expect(res.status).toBe(202);
  });

  it('testRevokeAuthorization with sub, and PagedResultIterator reading until next_page is unset', async () => {
    const tokens = await tokensFor(emulator);
    let url: string | undefined = `${emulator.url}/v1/events?tzid=Etc%2FUTC`;
    let pages = 0;
    while (url !== undefined) {
      const body = await bodyOf(await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } }));
      expectEventsParsable(body);
      url = (body.pages as { next_page?: string }).next_page;
      pages += 1;
      expect(pages).toBeLessThan(100);
    }
    expect((await send('/oauth/token/revoke', { method: 'POST', headers: PHP, body: JSON.stringify({ ...CLIENT, sub: tokens.sub }) })).status).toBe(200);
  });
});

describe('Python SDK fixtures', () => {
  it('get_authorization_from_code / refresh / revoke: JSON to the api host role', async () => {
    const code = await codeFor(emulator);
    const exchanged = await send('/oauth/token', { method: 'POST', headers: PYTHON, body: JSON.stringify({ client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, code, grant_type: 'authorization_code', redirect_uri: REDIRECT_URI }) });
    expect(exchanged.status).toBe(200);
    const token = await bodyOf(exchanged);
    expectTokenParsable(token);
    const revoked = await send('/oauth/token/revoke', { method: 'POST', headers: PYTHON, body: JSON.stringify({ ...CLIENT, token: token.access_token }) });
    expect(revoked.status).toBe(200);
  });

  // datetime_utils.get_iso8601_string (tests/test_datetime_utils.py): an aware datetime becomes
  // "2016-01-15T09:08:00+0000" (strftime %z: no colon), a date "2016-01-15".
  const pythonTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, '+0000');

  it('read_events: from/to as get_iso8601_string writes them ("+0000"), include_managed and calendar_ids[] (200, a status the SDK accepts)', async () => {
    const tokens = await tokensFor(emulator);
    const calendarId = await firstWritableCalendar(tokens.access_token);
    const from = pythonTime(Date.now() - 86_400_000);
    const to = pythonTime(Date.now() + 3 * 86_400_000);
    const query = new URLSearchParams({ tzid: 'Etc/UTC', from, to, include_managed: 'true', 'calendar_ids[]': calendarId });
    const res = await send(`/v1/events?${query.toString()}`, { token: tokens.access_token, headers: { 'user-agent': PYTHON['user-agent'] } });
    expect([200, 202]).toContain(res.status);
    const body = await bodyOf(res);
    expect((body.events as unknown[]).length).toBeGreaterThan(0);
    expectEventsParsable(body);
  });

  it('upsert_event with "+0000" times and with dates, elevated_permissions with redirect_uri (200 or 202 accepted by the SDK)', async () => {
    const tokens = await tokensFor(emulator);
    const calendarId = await firstWritableCalendar(tokens.access_token);
    const path = `/v1/calendars/${encodeURIComponent(calendarId)}/events`;
    const timed = await send(path, { method: 'POST', token: tokens.access_token, headers: PYTHON, body: JSON.stringify({ event_id: 'py-1', summary: 'From Python', start: '2016-01-15T09:08:00+0000', end: '2016-01-15T10:08:00+0000' }) });
    expect(timed.status).toBe(202);
    const allDay = await send(path, { method: 'POST', token: tokens.access_token, headers: PYTHON, body: JSON.stringify({ event_id: 'py-2', summary: 'All day', start: '2016-01-15', end: '2016-01-16' }) });
    expect(allDay.status).toBe(202);
    const events = (await bodyOf(await send('/v1/events?tzid=Etc/UTC&only_managed=true', { token: tokens.access_token }))).events as Record<string, unknown>[];
    expect(events.find((e) => e.event_id === 'py-1')).toMatchObject({ start: '2016-01-15T09:08:00Z', end: '2016-01-15T10:08:00Z' });
    expect(events.find((e) => e.event_id === 'py-2')).toMatchObject({ start: '2016-01-15', end: '2016-01-16' });
    const permissions = await send('/v1/permissions', { method: 'POST', token: tokens.access_token, headers: PYTHON, body: JSON.stringify({ permissions: [{ calendar_id: calendarId, permission_level: 'unrestricted' }], redirect_uri: PERMISSIONS_REDIRECT_URI }) });
    expect([200, 202]).toContain(permissions.status);
  });
});

describe('Node SDK fixtures', () => {
  it('index.spec.js refreshAccessToken: exactly {client_id, client_secret, refresh_token, grant_type}, with "Authorization: Bearer undefined" ignored', async () => {
    const tokens = await tokensFor(emulator);
    const res = await send('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer undefined', 'user-agent': 'Cronofy Node - 3.8.4' },
      body: JSON.stringify({ client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, refresh_token: tokens.refresh_token, grant_type: 'refresh_token' }),
    });
    expect(res.status).toBe(200);
    expectTokenParsable(await bodyOf(res));
  });

  it('revokeAuthorization(): the body carries the configured refresh_token and no token, and the authorization ends', async () => {
    const tokens = await tokensFor(emulator);
    const res = await send('/oauth/token/revoke', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.access_token}` }, body: JSON.stringify({ ...CLIENT, refresh_token: tokens.refresh_token }) });
    expect(res.status).toBe(200);
    expect((await api(emulator, '/v1/calendars', tokens.access_token)).status).toBe(401);
  });

  it('readEvents: calendar_ids%5B%5D in the bracket format qs writes', async () => {
    const tokens = await tokensFor(emulator);
    const calendarId = await firstWritableCalendar(tokens.access_token);
    const res = await send(`/v1/events?tzid=Etc%2FUTC&calendar_ids%5B%5D=${encodeURIComponent(calendarId)}`, { token: tokens.access_token });
    expect(res.status).toBe(200);
    const body = await bodyOf(res);
    expect((body.events as { calendar_id: string }[]).every((e) => e.calendar_id === calendarId)).toBe(true);
  });
});
