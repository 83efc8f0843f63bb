// Cronofy's official Node SDK, unmodified, pointed at the emulator (its urls.api is a plain property).
import Cronofy from 'cronofy';
import type { RunningEmulator } from '../../src/emulator/types';
import { CLIENT, codeFor, grantUnrestricted, PERMISSIONS_REDIRECT_URI, REDIRECT_URI, start } from './support';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await start({ pageSize: 10 });
});
afterAll(() => emulator.close());

async function connectedClient(account = 'Google'): Promise<Cronofy> {
  return (await connected(account)).client;
}

/** A client holding a fresh token, and that token's access_token. */
async function connected(account = 'Google'): Promise<{ client: Cronofy; accessToken: string }> {
  const client = new Cronofy({ ...CLIENT });
  client.urls.api = emulator.url;
  const token = await client.requestAccessToken({ code: await codeFor(emulator, { account }), redirect_uri: REDIRECT_URI });
  return { client, accessToken: token.access_token as string };
}

describe('the cronofy npm package against the emulator', () => {
  it('exchanges a code and refreshes (the SDK keeps the rotated tokens)', async () => {
    const client = new Cronofy({ ...CLIENT });
    client.urls.api = emulator.url;
    const token = await client.requestAccessToken({ code: await codeFor(emulator), redirect_uri: REDIRECT_URI });
    expect(token).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    const refreshed = await client.refreshAccessToken();
    expect(refreshed.refresh_token).not.toBe(token.refresh_token);
    expect((await client.listCalendars()).calendars.length).toBe(3);
  });

  it('reads userinfo, account and profiles', async () => {
    const client = await connectedClient();
    expect(await client.userInfo()).toMatchObject({ email: 'avery.quinn@northwind.example', 'cronofy.type': 'account' });
    expect((await client.accountInformation()).account).toMatchObject({ name: 'Avery Quinn' });
    expect((await client.profileInformation()).profiles).toHaveLength(1);
  });

  it('reads events page by page through next_page', async () => {
    const client = await connectedClient();
    let page = await client.readEvents({ tzid: 'Etc/UTC' });
    let pages = 1;
    while (page.pages.next_page) {
      page = await client.readEvents({ next_page: page.pages.next_page });
      pages += 1;
    }
    expect(pages).toBe(page.pages.total);
    expect(pages).toBeGreaterThan(1);
  });

  it('creates and deletes an event', async () => {
    const client = await connectedClient();
    const calendar = (await client.listCalendars()).calendars.find((c) => !c.calendar_readonly)!;
    await client.createEvent({ calendar_id: calendar.calendar_id, event_id: 'sdk-1', summary: 'From the SDK', start: '2026-12-01T10:00:00Z', end: '2026-12-01T11:00:00Z' });
    const managed = await client.readEvents({ tzid: 'Etc/UTC', only_managed: true });
    expect(managed.events).toEqual([expect.objectContaining({ event_id: 'sdk-1' })]);
    await client.deleteEvent({ calendar_id: calendar.calendar_id, event_id: 'sdk-1' });
    expect((await client.readEvents({ tzid: 'Etc/UTC', only_managed: true })).events).toEqual([]);
  });

  it('updates and deletes an external event by event_uid (with Extended Permissions), and reads with only_managed alone', async () => {
    const { client, accessToken } = await connected();
    const page = await client.readEvents({ tzid: 'Etc/UTC' });
    const external = page.events[0] as { calendar_id: string; event_uid: string; start: string; end: string };
    await grantUnrestricted(emulator, accessToken, [external.calendar_id]);
    await client.updateExternalEvent({ calendar_id: external.calendar_id, event_uid: external.event_uid, summary: 'Changed by the SDK', start: external.start, end: external.end });
    const after = await client.readEvents({ tzid: 'Etc/UTC', 'calendar_ids[]': [external.calendar_id] });
    expect(after.events.find((e) => e.event_uid === external.event_uid)).toMatchObject({ summary: 'Changed by the SDK' });
    await client.deleteExternalEvent({ calendar_id: external.calendar_id, event_uid: external.event_uid });
    const gone = await client.readEvents({ tzid: 'Etc/UTC', include_deleted: true });
    expect(gone.events.find((e) => e.event_uid === external.event_uid)).toMatchObject({ deleted: true });
  });

  it('revokes with revokeAuthorization() and no arguments (the SDK sends its refresh_token)', async () => {
    const client = await connectedClient();
    const { access_token } = await client.refreshAccessToken();
    await client.revokeAuthorization();
    const stale = new Cronofy({ ...CLIENT, access_token: access_token as string });
    stale.urls.api = emulator.url;
    await expect(stale.listCalendars()).rejects.toMatchObject({ statusCode: 401 });
  });

  it('requests elevated permissions (approval URL, and accepted at once for Enterprise Connect)', async () => {
    const client = await connectedClient();
    const [calendar] = (await client.listCalendars()).calendars;
    const body = { permissions: [{ calendar_id: calendar!.calendar_id, permission_level: 'unrestricted' }], redirect_uri: PERMISSIONS_REDIRECT_URI };
    expect((await client.elevatedPermissions(body)).permissions_request.url).toMatch(/\/permissions\/requests\//);

    const linked = await connectedClient('Enterprise');
    const [linkedCalendar] = (await linked.listCalendars()).calendars;
    const accepted = await linked.elevatedPermissions({ ...body, permissions: [{ calendar_id: linkedCalendar!.calendar_id, permission_level: 'unrestricted' }] });
    expect(accepted.permissions_request).toEqual({ accepted: true });
  });

  it('revokes, after which calls reject with the status the SDK reports', async () => {
    const client = await connectedClient();
    const refreshToken = ((await client.refreshAccessToken()).refresh_token as string);
    await client.revokeAuthorization({ token: refreshToken });
    const other = new Cronofy({ ...CLIENT, refresh_token: refreshToken });
    other.urls.api = emulator.url;
    await expect(other.refreshAccessToken()).rejects.toMatchObject({ statusCode: 400, error: { entity: { error: 'invalid_grant' } } });
  });
});
