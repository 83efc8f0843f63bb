// What real Cronofy accepts for events and the emulator once refused or lacked (issue 15): times
// as the SDKs send them, event_uid, the description limit, only_managed without read_events, and
// the include_deleted / include_moved / last_modified filters.
import type { RunningEmulator } from '../../src/emulator/types';
import { api, grantUnrestricted, start, tokensFor, type TokenAnswer } from './support';

let emulator: RunningEmulator;
let google: TokenAnswer;
let calendarId: string;
let clock = Date.now();
beforeAll(async () => {
  emulator = await start({ now: () => clock });
  google = await tokensFor(emulator, { account: 'Google' });
  calendarId = (await calendars(google.access_token))[0]!.calendar_id;
});
afterAll(() => emulator.close());

interface EventJson {
  event_id?: string;
  event_uid: string;
  summary: string;
  start: string;
  end: string;
  deleted: boolean;
  updated: string;
  location?: { description: string };
  organizer?: { email: string; display_name: string };
}
type Page = { events: EventJson[]; pages: { current: number; total: number; next_page?: string } };

async function calendars(token: string) {
  return ((await (await api(emulator, '/v1/calendars', token)).json()) as { calendars: { calendar_id: string; calendar_readonly: boolean; calendar_deleted: boolean }[] }).calendars;
}
const eventsPath = (id: string) => `/v1/calendars/${encodeURIComponent(id)}/events`;
const upsert = (body: unknown, token = google.access_token, id = calendarId) => api(emulator, eventsPath(id), token, { method: 'POST', body: JSON.stringify(body) });
const remove = (body: unknown, token = google.access_token) => api(emulator, eventsPath(calendarId), token, { method: 'DELETE', body: JSON.stringify(body) });

/** Every event of every page. */
async function read(query: string, token = google.access_token): Promise<EventJson[]> {
  const events: EventJson[] = [];
  let url: string | undefined = `/v1/events?${query}`;
  while (url) {
    const res = await api(emulator, url, token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Page;
    events.push(...body.events);
    url = body.pages.next_page;
  }
  return events;
}

const dayOffset = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe('event times, as the official SDKs send them', () => {
  it('accepts the C# form: {"time": "2014-08-05 15:30:00Z", "tzid": "Etc/UTC"} with a space before the clock', async () => {
    const res = await upsert({ event_id: 'cs-1', summary: 'Board meeting', start: { time: '2014-08-05 15:30:00Z', tzid: 'Etc/UTC' }, end: { time: '2014-08-05 17:00:00Z', tzid: 'Etc/UTC' } });
    expect(res.status).toBe(202);
    const [event] = (await read('tzid=Etc/UTC&only_managed=true')).filter((e) => e.event_id === 'cs-1');
    expect(event).toMatchObject({ start: '2014-08-05T15:30:00Z', end: '2014-08-05T17:00:00Z' });
  });

  it('accepts a local time with a tzid (in the time object, or the event tzid) and answers it in UTC', async () => {
    expect((await upsert({ event_id: 'local-1', summary: 'Local', start: { time: '2026-07-01T09:00:00', tzid: 'Europe/London' }, end: { time: '2026-07-01T10:00:00', tzid: 'Europe/London' } })).status).toBe(202);
    expect((await upsert({ event_id: 'local-2', summary: 'Local', tzid: 'America/New_York', start: '2026-01-15T09:00:00', end: '2026-01-15T09:30:00' })).status).toBe(202);
    const events = await read('tzid=Etc/UTC&only_managed=true');
    expect(events.find((e) => e.event_id === 'local-1')).toMatchObject({ start: '2026-07-01T08:00:00Z', end: '2026-07-01T09:00:00Z' });
    expect(events.find((e) => e.event_id === 'local-2')).toMatchObject({ start: '2026-01-15T14:00:00Z', end: '2026-01-15T14:30:00Z' });
  });

  it('still refuses a local time with no tzid anywhere, and an unknown tzid', async () => {
    const local = await upsert({ event_id: 'bad-1', summary: 'x', start: '2026-01-15T09:00:00', end: '2026-01-15T10:00:00' });
    expect(local.status).toBe(422);
    expect(Object.keys(((await local.json()) as { errors: object }).errors).sort()).toEqual(['end', 'start']);
    const zone = await upsert({ event_id: 'bad-2', summary: 'x', start: { time: '2026-01-15T09:00:00', tzid: 'Mars/Olympus' }, end: '2026-01-15T10:00:00Z' });
    expect(((await zone.json()) as { errors: Record<string, unknown> }).errors.start).toBeDefined();
  });

  it('reads with from/to as times, as the Ruby SDK sends them, and last_modified in the C# "u" form', async () => {
    const from = `${dayOffset(0)}T00:00:01Z`;
    const to = `${dayOffset(3)}T00:00:01Z`;
    const events = await read(`tzid=Etc/UTC&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(event.start < to).toBe(true);
      expect(event.end >= from).toBe(true);
    }
    const since = new Date(Date.now() - 3 * 86_400_000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    const recent = await read(`tzid=Etc/UTC&last_modified=${encodeURIComponent(since)}`);
    const all = await read('tzid=Etc/UTC');
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThan(all.length);
    for (const event of recent) expect(Date.parse(event.updated)).toBeGreaterThanOrEqual(Date.parse(since.replace(' ', 'T')));
  });

  it('answers 422 to a malformed last_modified', async () => {
    const res = await api(emulator, '/v1/events?tzid=Etc/UTC&last_modified=yesterday', google.access_token);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors: Record<string, unknown> }).errors.last_modified).toBeDefined();
  });
});

describe('event_uid (external events)', () => {
  beforeAll(() => grantUnrestricted(emulator, google.access_token, [calendarId]));

  it('answers 403 without Extended Permissions on the calendar and changes nothing; once the person allows them, 202', async () => {
    const other = (await calendars(google.access_token)).find((c) => c.calendar_id !== calendarId && !c.calendar_readonly && !c.calendar_deleted)!.calendar_id;
    const window = `tzid=Etc/UTC&calendar_ids[]=${encodeURIComponent(other)}&from=${dayOffset(8)}&to=${dayOffset(9)}`;
    const [external] = await read(window);
    const change = { event_uid: external!.event_uid, summary: 'Renamed without permission', start: external!.start, end: external!.end };
    const refusedUpdate = await upsert(change, google.access_token, other);
    expect(refusedUpdate.status).toBe(403);
    expect(await refusedUpdate.json()).toMatchObject({ error: 'forbidden', error_description: expect.stringContaining('Extended Permissions') });
    const refusedDelete = await api(emulator, eventsPath(other), google.access_token, { method: 'DELETE', body: JSON.stringify({ event_uid: external!.event_uid }) });
    expect(refusedDelete.status).toBe(403);
    expect((await read(window)).find((e) => e.event_uid === external!.event_uid)).toMatchObject({ summary: external!.summary, deleted: false });

    await grantUnrestricted(emulator, google.access_token, [other]);
    expect((await upsert({ ...change, summary: 'Renamed once allowed' }, google.access_token, other)).status).toBe(202);
    expect((await read(window)).find((e) => e.event_uid === external!.event_uid)?.summary).toBe('Renamed once allowed');
  });

  it('updates an external event by event_uid (202), and the change is read back', async () => {
    const [external] = await read(`tzid=Etc/UTC&calendar_ids[]=${encodeURIComponent(calendarId)}&from=${dayOffset(4)}&to=${dayOffset(5)}`);
    const res = await upsert({ event_uid: external!.event_uid, summary: 'Renamed by the app', start: external!.start, end: external!.end });
    expect(res.status).toBe(202);
    const after = await read(`tzid=Etc/UTC&calendar_ids[]=${encodeURIComponent(calendarId)}&from=${dayOffset(4)}&to=${dayOffset(5)}`);
    expect(after.find((e) => e.event_uid === external!.event_uid)?.summary).toBe('Renamed by the app');
  });

  it('deletes an external event by event_uid (202): gone, and listed as deleted with include_deleted', async () => {
    const window = `tzid=Etc/UTC&calendar_ids[]=${encodeURIComponent(calendarId)}&from=${dayOffset(6)}&to=${dayOffset(7)}`;
    const [external] = await read(window);
    expect((await remove({ event_uid: external!.event_uid })).status).toBe(202);
    expect((await read(window)).some((e) => e.event_uid === external!.event_uid)).toBe(false);
    const withDeleted = await read(`${window}&include_deleted=true`);
    expect(withDeleted.find((e) => e.event_uid === external!.event_uid)).toMatchObject({ deleted: true });
  });
});

describe('Create or Update Event limits', () => {
  it('answers 422 to a description over 4,096 characters, and accepts one of exactly 4,096', async () => {
    const base = { event_id: 'long-1', summary: 'Long', start: '2026-03-01T10:00:00Z', end: '2026-03-01T11:00:00Z' };
    const tooLong = await upsert({ ...base, description: 'x'.repeat(4097) });
    expect(tooLong.status).toBe(422);
    expect(((await tooLong.json()) as { errors: Record<string, { key: string }[]> }).errors.description?.[0]?.key).toBe('errors.too_long');
    expect((await upsert({ ...base, description: 'x'.repeat(4096) })).status).toBe(202);
  });

  it('answers 422 for a deleted calendar', async () => {
    const jordan = await tokensFor(emulator, { account: 'iCloud' });
    const deleted = (await calendars(jordan.access_token)).find((c) => c.calendar_deleted)!;
    const res = await upsert({ event_id: 'e', summary: 's', start: '2026-03-01T10:00:00Z', end: '2026-03-01T11:00:00Z' }, jordan.access_token, deleted.calendar_id);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors: Record<string, { key: string }[]> }).errors.calendar_id?.[0]?.key).toBe('errors.calendar_deleted');
  });
});

describe('only_managed=true', () => {
  it('reads the managed events without the read_events scope; without only_managed it is 403', async () => {
    const writer = await tokensFor(emulator, { account: 'Microsoft', scope: 'create_event delete_event' });
    const res = await api(emulator, '/v1/events?tzid=Etc/UTC&only_managed=true', writer.access_token);
    expect(res.status).toBe(200);
    expect((await api(emulator, '/v1/events?tzid=Etc/UTC', writer.access_token)).status).toBe(403);
  });
});

describe('realistic events', () => {
  it('carry an organizer, a location on some, and created/updated times in the past', async () => {
    const events = await read('tzid=Etc/UTC');
    expect(events.every((e) => e.organizer?.email === 'avery.quinn@northwind.example' && e.organizer.display_name === 'Avery Quinn')).toBe(true);
    expect(events.some((e) => typeof e.location?.description === 'string')).toBe(true);
    expect(events.every((e) => Date.parse(e.updated) <= Date.now())).toBe(true);
  });

  it('include_deleted lists the cancelled sample events as deleted; without it none is deleted', async () => {
    const plain = await read('tzid=Etc/UTC');
    expect(plain.some((e) => e.deleted)).toBe(false);
    const withDeleted = await read('tzid=Etc/UTC&include_deleted=true');
    expect(withDeleted.filter((e) => e.deleted).length).toBeGreaterThan(0);
    expect(withDeleted.length).toBeGreaterThan(plain.length);
  });

  it('a deleted managed event is listed, deleted, with include_deleted', async () => {
    await upsert({ event_id: 'gone-1', summary: 'Gone', start: '2026-04-01T10:00:00Z', end: '2026-04-01T11:00:00Z' });
    clock += 1000;
    await remove({ event_id: 'gone-1' });
    expect((await read('tzid=Etc/UTC&only_managed=true')).some((e) => e.event_id === 'gone-1')).toBe(false);
    expect((await read('tzid=Etc/UTC&only_managed=true&include_deleted=true')).find((e) => e.event_id === 'gone-1')).toMatchObject({ deleted: true });
  });

  it('include_moved lists an event that moved out of the window', async () => {
    await upsert({ event_id: 'moved-1', summary: 'Moving', start: '2026-05-04T10:00:00Z', end: '2026-05-04T11:00:00Z' });
    await upsert({ event_id: 'moved-1', summary: 'Moving', start: '2026-05-20T10:00:00Z', end: '2026-05-20T11:00:00Z' });
    const window = 'tzid=Etc/UTC&only_managed=true&from=2026-05-01&to=2026-05-08';
    expect((await read(window)).some((e) => e.event_id === 'moved-1')).toBe(false);
    expect((await read(`${window}&include_moved=true`)).find((e) => e.event_id === 'moved-1')).toMatchObject({ start: '2026-05-20T10:00:00Z' });
  });
});
