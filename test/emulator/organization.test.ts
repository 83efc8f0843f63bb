import type { RunningEmulator } from '../../src/emulator/types';
import { api, CLIENT, start, tokensFor, type TokenAnswer } from './support';

let emulator: RunningEmulator;
let org: TokenAnswer;
beforeAll(async () => {
  emulator = await start({ pageSize: 10 });
  org = await tokensFor(emulator, { scope: 'organizational_unit_scheduler' });
});
afterAll(() => emulator.close());

interface Member {
  sub: string;
  email: string;
  roles: string[];
  scheduler: { enabled: boolean; public_url: string | null };
}
interface MembersPage {
  organizational_unit_members: Member[];
  pages: { current: number; total: number; next_page?: string };
}

async function allMembers(): Promise<{ members: Member[]; pages: MembersPage['pages'][] }> {
  const res = await api(emulator, '/v1/organizational_unit_members', org.access_token);
  expect(res.status).toBe(200);
  const body = (await res.json()) as MembersPage;
  return { members: body.organizational_unit_members, pages: [body.pages] };
}

describe('GET /v1/organizational_unit_members', () => {
  it('lists the 25 members on one page at the default page size, with pages.current and pages.total only', async () => {
    const { members, pages } = await allMembers();
    expect(members).toHaveLength(25);
    expect(pages).toEqual([{ current: 1, total: 1 }]);
    expect(members[0]).toEqual({ sub: expect.stringMatching(/^acc_[0-9a-f]{24}$/), email: 'marty@evenitron.com', roles: ['owner'], scheduler: { enabled: true, public_url: null } });
    expect(new Set(members.map((m) => m.sub)).size).toBe(25);
  });

  it('pages exactly as documented: the first page, pages.total past it, no next_page and no invented page parameter', async () => {
    const small = await start({ memberPageSize: 10 });
    try {
      const unit = await tokensFor(small, { scope: 'organizational_unit_scheduler' });
      for (const path of ['/v1/organizational_unit_members', '/v1/organizational_unit_members?page=2']) {
        const body = (await (await api(small, path, unit.access_token)).json()) as MembersPage;
        expect(body.pages).toEqual({ current: 1, total: 3 });
        expect(body.organizational_unit_members.map((m) => m.email)[0]).toBe('marty@evenitron.com');
        expect(body.organizational_unit_members).toHaveLength(10);
      }
    } finally {
      await small.close();
    }
  });

  it('answers 403 to an account token', async () => {
    const account = await tokensFor(emulator);
    expect((await api(emulator, '/v1/organizational_unit_members', account.access_token)).status).toBe(403);
  });
});

describe('Cronofy-Impersonate', () => {
  it('acts as the member: userinfo and calendars are theirs', async () => {
    const { members } = await allMembers();
    const doc = members.find((m) => m.email === 'doc@evenitron.com')!;
    const info = (await (await api(emulator, '/v1/userinfo', org.access_token, { impersonate: doc.sub })).json()) as { sub: string; email: string };
    expect(info).toMatchObject({ sub: doc.sub, email: 'doc@evenitron.com' });
    const calendars = (await (await api(emulator, '/v1/calendars', org.access_token, { impersonate: doc.sub })).json()) as { sub: string; calendars: { profile_name: string }[] };
    expect(calendars.sub).toBe(doc.sub);
    expect(calendars.calendars.map((c) => c.profile_name)).toEqual(['doc@evenitron.com', 'doc@evenitron.com']);
  });

  it("creates an event in the member's calendar with the unit's token, as documented for Create or Update Event", async () => {
    const { members } = await allMembers();
    const doc = members.find((m) => m.email === 'doc@evenitron.com')!;
    const calendars = (await (await api(emulator, '/v1/calendars', org.access_token, { impersonate: doc.sub })).json()) as { calendars: { calendar_id: string; calendar_readonly: boolean }[] };
    const calendarId = calendars.calendars.find((c) => !c.calendar_readonly)!.calendar_id;
    const event = { event_id: 'org-booked-1', summary: 'Booked by the unit', start: '2026-03-01T10:00:00Z', end: '2026-03-01T11:00:00Z' };
    const created = await api(emulator, `/v1/calendars/${calendarId}/events`, org.access_token, { method: 'POST', body: JSON.stringify(event), impersonate: doc.sub });
    expect(created.status).toBe(202);
    const read = (await (await api(emulator, '/v1/events?tzid=Etc/UTC&only_managed=true', org.access_token, { impersonate: doc.sub })).json()) as { events: { event_id?: string; calendar_id: string }[] };
    expect(read.events).toEqual([expect.objectContaining({ event_id: 'org-booked-1', calendar_id: calendarId })]);
  });

  it('answers 403 to a sub outside the unit, and to the header on an account token', async () => {
    expect((await api(emulator, '/v1/calendars', org.access_token, { impersonate: 'acc_000000000000000000000000' })).status).toBe(403);
    const account = await tokensFor(emulator);
    expect((await api(emulator, '/v1/calendars', account.access_token, { impersonate: account.sub })).status).toBe(403);
  });

  it('does not let the unit token read calendars without impersonation', async () => {
    expect((await api(emulator, '/v1/calendars', org.access_token)).status).toBe(403);
    const info = (await (await api(emulator, '/v1/userinfo', org.access_token)).json()) as { sub: string };
    expect(info.sub).toBe(org.sub);
  });
});

describe('the Internal Application key', () => {
  let keyed: RunningEmulator;
  beforeAll(async () => {
    keyed = await start({ internalApplicationKey: 'internal-app-secret' });
  });
  afterAll(() => keyed.close());

  it('lists the members with its own key as Bearer, as documented for Internal Applications', async () => {
    const members = await api(keyed, '/v1/organizational_unit_members', 'internal-app-secret');
    expect(members.status).toBe(200);
    expect(((await members.json()) as MembersPage).organizational_unit_members).toHaveLength(25);
    expect((await api(keyed, '/v1/organizational_unit_members', CLIENT.client_secret)).status).toBe(401);
  });

  it('answers 403 to every other served /v1 call, with Cronofy-Impersonate or without, and changes nothing', async () => {
    const members = (await (await api(keyed, '/v1/organizational_unit_members', 'internal-app-secret')).json()) as MembersPage;
    const marty = members.organizational_unit_members[0]!.sub;
    const unit = await tokensFor(keyed, { scope: 'organizational_unit_scheduler' });
    const calendars = (await (await api(keyed, '/v1/calendars', unit.access_token, { impersonate: marty })).json()) as { calendars: { calendar_id: string }[] };
    const calendarId = calendars.calendars[0]!.calendar_id;
    const event = { event_id: 'from-the-internal-app', summary: 'Not allowed', start: '2026-03-01T10:00:00Z', end: '2026-03-01T11:00:00Z' };
    const calls: [string, RequestInit][] = [
      ['/v1/userinfo', {}],
      ['/v1/calendars', {}],
      ['/v1/events?tzid=Etc/UTC', {}],
      [`/v1/calendars/${calendarId}/events`, { method: 'POST', body: JSON.stringify(event) }],
      ['/v1/channels', { method: 'POST', body: JSON.stringify({ callback_url: 'http://app.test/push' }) }],
    ];
    for (const [path, init] of calls) {
      for (const impersonate of [undefined, marty]) {
        const res = await api(keyed, path, 'internal-app-secret', { ...init, impersonate });
        expect([path, impersonate, res.status]).toEqual([path, impersonate, 403]);
        expect(await res.json()).toMatchObject({ error: 'forbidden', error_description: expect.stringContaining('Internal Application') });
      }
    }
    const managed = (await (await api(keyed, '/v1/events?tzid=Etc/UTC&only_managed=true', unit.access_token, { impersonate: marty })).json()) as { events: unknown[] };
    expect(managed.events).toEqual([]);
    expect(keyed.control.openChannels('marty@evenitron.com')).toEqual([]);
  });

  it('is not refused on the Scheduling Requests paths it may call: they are not emulated (404)', async () => {
    const res = await api(keyed, '/v1/scheduling_requests', 'internal-app-secret', { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });

  it('is off unless configured: the client secret is no API key on any /v1 call', async () => {
    for (const path of ['/v1/organizational_unit_members', '/v1/calendars', '/v1/userinfo']) {
      expect((await api(emulator, path, CLIENT.client_secret)).status).toBe(401);
    }
  });
});
