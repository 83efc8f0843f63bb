import type { RunningEmulator } from '../../src/emulator/types';
import { api, start, tokensFor, type TokenAnswer } from './support';

let emulator: RunningEmulator;
let google: TokenAnswer;
beforeAll(async () => {
  emulator = await start({ pageSize: 10 });
  google = await tokensFor(emulator, { account: 'Google' });
});
afterAll(() => emulator.close());

interface CalendarJson {
  calendar_id: string;
  calendar_name: string;
  calendar_readonly: boolean;
  permission_level: string;
}
const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;
const calendarsOf = async (token: string) => (await json<{ calendars: CalendarJson[] }>(await api(emulator, '/v1/calendars', token))).calendars;

describe('Bearer checks on /v1/*', () => {
  it('answers 401 without a token, with WWW-Authenticate: Bearer and no error code (RFC 6750 §3.1)', async () => {
    const res = await api(emulator, '/v1/calendars', undefined);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="Cronofy"');
  });

  it('answers 401 with error="invalid_token" to an unknown token and to an expired one', async () => {
    const unknown = await api(emulator, '/v1/calendars', 'nope');
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const tokens = await tokensFor(emulator);
    emulator.control.expireAccessTokens();
    const expired = await api(emulator, '/v1/calendars', tokens.access_token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
    google = await tokensFor(emulator, { account: 'Google' });
  });

  it('answers 403 insufficient_scope to a call the token scope does not cover', async () => {
    // An account this file authorizes nowhere else: authorizing one again widens its one grant.
    const narrow = await tokensFor(emulator, { scope: 'read_account', account: 'iCloud' });
    expect((await api(emulator, '/v1/account', narrow.access_token)).status).toBe(200);
    const res = await api(emulator, '/v1/calendars', narrow.access_token);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect((await api(emulator, '/v1/events?tzid=Etc/UTC', narrow.access_token)).status).toBe(403);
  });

  it('answers 404 JSON for an unknown /v1 path', async () => {
    const res = await api(emulator, '/v1/nothing_here', google.access_token);
    expect(res.status).toBe(404);
  });
});

describe('GET /v1/calendars, /v1/userinfo, /v1/account, /v1/profiles', () => {
  it('lists the account calendars in the documented shape, one read-only, all sandbox', async () => {
    const body = await json<{ sub: string; calendars: Record<string, unknown>[] }>(await api(emulator, '/v1/calendars', google.access_token));
    expect(body.sub).toBe(google.sub);
    expect(body.calendars).toHaveLength(3);
    expect(body.calendars[0]).toEqual({
      provider_name: 'google',
      profile_id: expect.stringMatching(/^pro_/),
      profile_name: 'avery.quinn@northwind.example',
      calendar_id: expect.stringMatching(/^cal_/),
      calendar_name: 'Avery Quinn',
      calendar_readonly: false,
      calendar_deleted: false,
      calendar_primary: true,
      calendar_integrated_conferencing_available: true,
      calendar_attachments_available: false,
      permission_level: 'sandbox',
    });
    expect(body.calendars.filter((c) => c.calendar_readonly)).toHaveLength(1);
  });

  it('answers userinfo with the account, its authorization and its profiles with calendars', async () => {
    const info = await json<Record<string, unknown>>(await api(emulator, '/v1/userinfo', google.access_token));
    expect(info).toMatchObject({ sub: google.sub, email: 'avery.quinn@northwind.example', name: 'Avery Quinn', 'cronofy.type': 'account' });
    const data = info['cronofy.data'] as { authorization: { scope: string; status: string }; profiles: { profile_calendars: unknown[] }[] };
    expect(data.authorization).toEqual({ scope: google.scope, status: 'active' });
    expect(data.profiles[0]?.profile_calendars).toHaveLength(3);
  });

  it('answers account and profiles', async () => {
    const account = await json<{ account: Record<string, unknown>; sub: string }>(await api(emulator, '/v1/account', google.access_token));
    expect(account).toEqual({
      account: { account_id: google.account_id, email: 'avery.quinn@northwind.example', name: 'Avery Quinn', scope: google.scope, default_tzid: 'Europe/London' },
      sub: google.account_id,
    });
    const profiles = await json<{ profiles: Record<string, unknown>[] }>(await api(emulator, '/v1/profiles', google.access_token));
    expect(profiles.profiles).toEqual([
      { provider_name: 'google', provider_service: 'gsuite', profile_id: expect.stringMatching(/^pro_/), profile_name: 'avery.quinn@northwind.example', profile_connected: true, profile_initial_sync_required: false },
    ]);
  });
});

describe('events', () => {
  const today = new Date().toISOString().slice(0, 10);
  const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);

  it('answers 422 with the documented errors shape without tzid, or with a malformed date', async () => {
    const res = await api(emulator, '/v1/events', google.access_token);
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ errors: { tzid: [{ key: 'errors.required', description: 'required' }] } });
    const bad = await api(emulator, '/v1/events?tzid=Etc/UTC&from=yesterday', google.access_token);
    expect(((await bad.json()) as { errors: Record<string, unknown> }).errors.from).toBeDefined();
  });

  it('pages with an absolute next_page until the last page, which has none', async () => {
    let url: string | undefined = `/v1/events?tzid=Etc/UTC&from=${today}&to=${inAWeek}`;
    const seen: string[] = [];
    const pages: { current: number; total: number }[] = [];
    while (url) {
      const body: { pages: { current: number; total: number; next_page?: string }; events: { event_uid: string; start: string }[] } = await json(await api(emulator, url, google.access_token));
      pages.push(body.pages);
      seen.push(...body.events.map((e) => e.event_uid));
      for (const event of body.events) expect(event.start >= today).toBe(true);
      url = body.pages.next_page;
      if (url) expect(url.startsWith(`${emulator.url}/v1/events/pages/`)).toBe(true);
    }
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.map((p) => p.current)).toEqual(pages.map((_, i) => i + 1));
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages[0]?.total).toBe(pages.length);
  });

  it('filters by calendar_ids[]', async () => {
    const [first] = await calendarsOf(google.access_token);
    const body = await json<{ events: { calendar_id: string }[] }>(
      await api(emulator, `/v1/events?tzid=Etc/UTC&calendar_ids[]=${encodeURIComponent(first!.calendar_id)}`, google.access_token),
    );
    expect(body.events.length).toBeGreaterThan(0);
    expect(body.events.every((e) => e.calendar_id === first!.calendar_id)).toBe(true);
  });

  it('creates (202, no body), reads with include_managed, updates and deletes a managed event', async () => {
    const [calendar] = await calendarsOf(google.access_token);
    const path = `/v1/calendars/${encodeURIComponent(calendar!.calendar_id)}/events`;
    const event = { event_id: 'demo-1', summary: 'Board meeting', start: `${today}T15:30:00Z`, end: `${today}T17:00:00Z` };
    const created = await api(emulator, path, google.access_token, { method: 'POST', body: JSON.stringify(event) });
    expect(created.status).toBe(202);
    expect(await created.text()).toBe('');
    await api(emulator, path, google.access_token, { method: 'POST', body: JSON.stringify({ ...event, summary: 'Board meeting (moved)' }) });

    const managed = async () =>
      (await json<{ events: { event_id?: string; summary: string }[] }>(await api(emulator, '/v1/events?tzid=Etc/UTC&only_managed=true', google.access_token))).events;
    expect(await managed()).toEqual([expect.objectContaining({ event_id: 'demo-1', summary: 'Board meeting (moved)' })]);
    const unmanaged = await json<{ events: { event_id?: string }[] }>(await api(emulator, `/v1/events?tzid=Etc/UTC&from=${today}&to=${today}`, google.access_token));
    expect(unmanaged.events.some((e) => e.event_id === 'demo-1')).toBe(false);

    const deleted = await api(emulator, path, google.access_token, { method: 'DELETE', body: JSON.stringify({ event_id: 'demo-1' }) });
    expect(deleted.status).toBe(202);
    expect(await managed()).toEqual([]);
  });

  it('answers 422 naming each missing or malformed field, 404 for a calendar of another account, 422 for a read-only calendar', async () => {
    const calendars = await calendarsOf(google.access_token);
    const path = (id: string) => `/v1/calendars/${encodeURIComponent(id)}/events`;
    const missing = await api(emulator, path(calendars[0]!.calendar_id), google.access_token, { method: 'POST', body: JSON.stringify({ summary: 'x' }) });
    expect(missing.status).toBe(422);
    expect(Object.keys(((await missing.json()) as { errors: object }).errors).sort()).toEqual(['end', 'event_id', 'start']);

    const other = await tokensFor(emulator, { account: 'Microsoft' });
    const otherCalendar = (await calendarsOf(other.access_token))[0]!;
    const event = JSON.stringify({ event_id: 'e', summary: 's', start: '2026-01-01T10:00:00Z', end: '2026-01-01T11:00:00Z' });
    expect((await api(emulator, path(otherCalendar.calendar_id), google.access_token, { method: 'POST', body: event })).status).toBe(404);

    const badTimes = JSON.stringify({ event_id: 'e', summary: 42, start: 'tomorrow', end: { time: 'later' } });
    const invalid = await api(emulator, path(calendars[0]!.calendar_id), google.access_token, { method: 'POST', body: badTimes });
    expect(invalid.status).toBe(422);
    expect(Object.keys(((await invalid.json()) as { errors: object }).errors).sort()).toEqual(['end', 'start', 'summary']);

    const readonly = calendars.find((c) => c.calendar_readonly)!;
    expect((await api(emulator, path(readonly.calendar_id), google.access_token, { method: 'POST', body: event })).status).toBe(422);
  });
});
