// States a long-lived Cronofy account reaches, served by the fourth sample account (issue 15):
// a deleted calendar, a disconnected profile with its relink URL, conferencing profiles.
import type { RunningEmulator } from '../../src/emulator/types';
import { api, start, tokensFor, type TokenAnswer } from './support';

let emulator: RunningEmulator;
let jordan: TokenAnswer;
beforeAll(async () => {
  emulator = await start();
  jordan = await tokensFor(emulator, { account: 'iCloud' });
});
afterAll(() => emulator.close());

const json = async <T>(path: string, token = jordan.access_token): Promise<T> => (await (await api(emulator, path, token)).json()) as T;

interface Profile {
  provider_name: string;
  provider_service: string;
  profile_connected: boolean;
  profile_initial_sync_required?: boolean;
  profile_relink_url?: string;
  profile_calendars?: { calendar_name: string; calendar_deleted: boolean }[];
}

describe('the account with a deleted calendar and a disconnected profile', () => {
  it('lists the deleted calendar with calendar_deleted: true', async () => {
    const { calendars } = await json<{ calendars: { calendar_name: string; calendar_deleted: boolean }[] }>('/v1/calendars');
    expect(calendars.filter((c) => c.calendar_deleted).map((c) => c.calendar_name)).toEqual(['Old project']);
    expect(calendars.filter((c) => !c.calendar_deleted).length).toBeGreaterThan(1);
  });

  it('answers /v1/profiles with the disconnected profile and a relink URL, only on that one', async () => {
    const { profiles } = await json<{ profiles: Profile[] }>('/v1/profiles');
    expect(profiles.map((p) => [p.provider_name, p.provider_service, p.profile_connected])).toEqual([
      ['google', 'gsuite', true],
      ['apple', 'icloud', false],
    ]);
    expect(profiles[0]).not.toHaveProperty('profile_relink_url');
    expect(profiles[1]?.profile_relink_url).toMatch(/^http:\/\/localhost:\d+\/relink\/pro_[0-9a-f]+$/);
    // Documented on every profile, connected or not.
    expect(profiles.map((p) => p.profile_initial_sync_required)).toEqual([false, false]);
  });

  it('answers userinfo with both profiles, their calendars, and conferencing_profiles (one disconnected)', async () => {
    const info = await json<{ 'cronofy.data': { profiles: Profile[]; conferencing_profiles: Profile[] } }>('/v1/userinfo');
    const data = info['cronofy.data'];
    expect(data.profiles[1]).toMatchObject({ profile_connected: false, profile_relink_url: expect.any(String) });
    expect(data.profiles[0]?.profile_calendars?.some((c) => c.calendar_deleted)).toBe(true);
    expect(data.conferencing_profiles).toEqual([
      { provider_name: 'zoom', profile_id: expect.stringMatching(/^pro_/), profile_name: 'jordan.blake@tailspin.example', profile_connected: true },
      {
        provider_name: 'go_to',
        profile_id: expect.stringMatching(/^pro_/),
        profile_name: 'jordan.blake@tailspin.example',
        profile_connected: false,
        profile_relink_url: expect.stringContaining('/relink/go_to?email='),
      },
    ]);
  });

  it('serves the relink page of the profile seeded disconnected; its button reconnects it (a fresh emulator: this changes the account)', async () => {
    const own = await start();
    try {
      const tokens = await tokensFor(own, { account: 'iCloud' });
      const profiles = async () => ((await (await api(own, '/v1/profiles', tokens.access_token)).json()) as { profiles: Profile[] }).profiles;
      const relinkUrl = (await profiles())[1]!.profile_relink_url!;
      const page = await fetch(relinkUrl);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Sign in and reconnect');
      const done = await fetch(relinkUrl, { method: 'POST' });
      expect(done.status).toBe(200);
      expect(await done.text()).toContain('<a href="http://app.test">Back to the application</a>'); // the registered redirect URI's origin
      expect((await profiles()).map((p) => p.profile_connected)).toEqual([true, true]);
      expect(await (await fetch(relinkUrl)).text()).toContain('Already connected');
    } finally {
      await own.close();
    }
  });

  it("answers a conferencing profile's relink URL with a 404 page: no conferencing relink is emulated", async () => {
    const info = await json<{ 'cronofy.data': { conferencing_profiles: Profile[] } }>('/v1/userinfo');
    const goTo = info['cronofy.data'].conferencing_profiles.find((p) => !p.profile_connected)!;
    const page = await fetch(goTo.profile_relink_url!);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('reads no events from the deleted calendar', async () => {
    const { calendars } = await json<{ calendars: { calendar_id: string; calendar_deleted: boolean }[] }>('/v1/calendars');
    const deleted = calendars.find((c) => c.calendar_deleted)!;
    const page = await json<{ events: unknown[] }>(`/v1/events?tzid=Etc/UTC&include_deleted=true&calendar_ids[]=${encodeURIComponent(deleted.calendar_id)}`);
    expect(page.events).toEqual([]);
  });
});
