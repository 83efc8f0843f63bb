import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'node-html-parser';
import { hmacHeader } from '../../src/emulator/notify';
import { seedWorld } from '../../src/emulator/seed';
import { SANDBOX_CLIENT_SECRET, type RunningEmulator } from '../../src/emulator/types';
import { consent } from '../support/forms';
import { api, authorizeUrl, CLIENT, post, REDIRECT_URI, start, tokensFor, type TokenAnswer } from './support';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A callback receiver: records each POST; answers with the next queued status (200 when none). */
async function receiver() {
  const received: Received[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/push/abc`;
  return { url, received, statuses, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let emulator: RunningEmulator;
let hook: Awaited<ReturnType<typeof receiver>>;
let tokens: TokenAnswer;

beforeAll(async () => {
  emulator = await start({ pushRetryDelaysMs: [10, 10], rotatingClientSecrets: ['second_secret'] });
  hook = await receiver();
});
afterAll(async () => {
  await emulator.close();
  await hook.close();
});
beforeEach(async () => {
  emulator.control.reset();
  hook.received.length = 0;
  tokens = await tokensFor(emulator, { account: 'Google' });
});

const createChannel = (body: Record<string, unknown>, token = tokens.access_token) =>
  api(emulator, '/v1/channels', token, { method: 'POST', body: JSON.stringify(body) });

const notifications = () => hook.received.map((r) => JSON.parse(r.body) as { notification: { type: string; changes_since?: string }; channel: { channel_id: string } });

describe('hmacHeader', () => {
  it("matches Cronofy's published test vectors", () => {
    expect(hmacHeader('{"example":"well-known"}', ['pDY0Oi7TJSP2hfNmZNkm5'])).toBe('6r2/HjBkqymGegX0wOfifieeUXbbHwtV/LohHS+jv6c=');
    expect(hmacHeader('{"example":"well-known"}', ['CRN_NggYusqPGLxwjw5FHOJYOqSrTPNXy8WQf14OID', 'CRN_nGlYDFXwfSXgB9rvGNBJyfE454GGPtWIbNuPwr'])).toBe(
      '5DxentQi5YSXODEzTVv06sRwJ3pULIz1KrYv20qxEK0=,BmQmWVuZ70ILWjr1CAt5oC7YOolgnku4WZtlrKfx/6k=',
    );
  });
});

describe('POST /v1/channels', () => {
  it('echoes the filters as given ({} when none) and sends a signed verification to the callback', async () => {
    const res = await createChannel({ callback_url: hook.url });
    expect(res.status).toBe(200);
    const { channel } = (await res.json()) as { channel: { channel_id: string; callback_url: string; filters: unknown } };
    expect(channel).toEqual({ channel_id: expect.stringMatching(/^chn_/), callback_url: hook.url, filters: {} });
    await emulator.control.pushSettled();

    expect(hook.received).toHaveLength(1);
    const [delivery] = hook.received;
    expect(JSON.parse(delivery!.body)).toEqual({
      notification: { type: 'verification' },
      channel: { channel_id: channel.channel_id, callback_url: hook.url, filters: {}, scheduling_conversations: {} },
    });
    expect(delivery!.headers['content-type']).toBe('application/json; charset=utf-8');
    const expected = [SANDBOX_CLIENT_SECRET, 'second_secret'].map((s) => createHmac('sha256', s).update(delivery!.body).digest('base64'));
    expect(delivery!.headers['cronofy-hmac-sha256']).toBe(expected.join(','));

    const partial = await createChannel({ callback_url: hook.url, filters: { only_managed: true } });
    expect(((await partial.json()) as { channel: { filters: unknown } }).channel.filters).toEqual({ only_managed: true });
  });

  it('answers 422 without a callback_url or with an empty calendar_ids, and creates nothing', async () => {
    expect((await createChannel({})).status).toBe(422);
    expect((await createChannel({ callback_url: hook.url, filters: { calendar_ids: [] } })).status).toBe(422);
    expect(emulator.control.openChannels(tokens.sub!)).toEqual([]);
  });

  it('refuses the 129th channel of an account', async () => {
    for (let i = 0; i < 128; i++) expect((await createChannel({ callback_url: `${hook.url}${i}`, filters: { only_managed: true } })).status).toBe(200);
    const res = await createChannel({ callback_url: hook.url });
    expect(res.status).toBe(422);
    expect(emulator.control.openChannels(tokens.sub!)).toHaveLength(128);
    await emulator.control.pushSettled();
  });
});

describe('GET /v1/channels and DELETE /v1/channels/{id}', () => {
  it('lists open channels; closing answers 202, then 404, and the channel is gone', async () => {
    const { channel } = (await (await createChannel({ callback_url: hook.url })).json()) as { channel: { channel_id: string } };
    const listed = (await (await api(emulator, '/v1/channels', tokens.access_token)).json()) as { channels: { channel_id: string }[] };
    expect(listed.channels.map((c) => c.channel_id)).toEqual([channel.channel_id]);
    expect((await api(emulator, `/v1/channels/${channel.channel_id}`, tokens.access_token, { method: 'DELETE' })).status).toBe(202);
    expect((await api(emulator, `/v1/channels/${channel.channel_id}`, tokens.access_token, { method: 'DELETE' })).status).toBe(404);
    expect(emulator.control.openChannels(tokens.sub!)).toEqual([]);
    await emulator.control.pushSettled();
  });
});

describe('change notifications', () => {
  it('follow an event created through the API, and Read Events with last_modified returns it', async () => {
    await createChannel({ callback_url: hook.url });
    const calendars = (await (await api(emulator, '/v1/calendars', tokens.access_token)).json()) as { calendars: { calendar_id: string; calendar_readonly: boolean }[] };
    const calendar = calendars.calendars.find((c) => !c.calendar_readonly)!;
    const created = await api(emulator, `/v1/calendars/${calendar.calendar_id}/events`, tokens.access_token, {
      method: 'POST',
      body: JSON.stringify({ event_id: 'push-1', summary: 'Pushed', start: '2030-01-01T10:00:00Z', end: '2030-01-01T11:00:00Z' }),
    });
    expect(created.status).toBe(202);
    await emulator.control.pushSettled();
    const change = notifications().find((n) => n.notification.type === 'change');
    expect(change?.notification.changes_since).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    const read = await api(emulator, `/v1/events?tzid=Etc/UTC&include_managed=true&last_modified=${change!.notification.changes_since}`, tokens.access_token);
    const { events } = (await read.json()) as { events: { summary: string }[] };
    expect(events.map((e) => e.summary)).toEqual(['Pushed']);
  });

  it('follow a change made through the test control, and are retried when the callback fails', async () => {
    await createChannel({ callback_url: hook.url });
    await emulator.control.pushSettled();
    hook.received.length = 0;
    hook.statuses.push(500);
    emulator.control.changeEvent('avery.quinn@northwind.example', 'Board meeting');
    await emulator.control.pushSettled();
    expect(notifications().map((n) => n.notification.type)).toEqual(['change', 'change']);
    const delivery = emulator.control.pushDeliveries().find((d) => d.type === 'change')!;
    expect(delivery.attempts).toEqual([{ status: 500 }, { status: 200 }]);
    expect(delivery.delivered).toBe(true);

    const since = notifications()[0]!.notification.changes_since!;
    const read = await api(emulator, `/v1/events?tzid=Etc/UTC&last_modified=${since}`, tokens.access_token);
    expect(((await read.json()) as { events: { summary: string }[] }).events.map((e) => e.summary)).toEqual(['Board meeting']);
  });
});

describe('profile health and relinking', () => {
  it('a disconnected profile reports a relink URL and sends profile_disconnected; relinking heals it and sends change', async () => {
    await createChannel({ callback_url: hook.url });
    const profileId = tokens.linking_profile!.profile_id;
    emulator.control.disconnectProfile(profileId);
    await emulator.control.pushSettled();
    expect(notifications().map((n) => n.notification.type)).toEqual(['verification', 'profile_disconnected']);

    const profiles = (await (await api(emulator, '/v1/profiles', tokens.access_token)).json()) as { profiles: { profile_connected: boolean; profile_relink_url?: string }[] };
    expect(profiles.profiles[0]).toMatchObject({ profile_connected: false, profile_relink_url: `${emulator.url}/relink/${profileId}` });

    const page = await fetch(profiles.profiles[0]!.profile_relink_url!);
    expect(parse(await page.text()).querySelector('button')?.text).toContain('reconnect');
    expect((await fetch(`${emulator.url}/relink/${profileId}`, { method: 'POST' })).status).toBe(200);
    await emulator.control.pushSettled();
    expect(notifications().at(-1)?.notification.type).toBe('change');
    const healed = (await (await api(emulator, '/v1/userinfo', tokens.access_token)).json()) as { 'cronofy.data': { profiles: { profile_connected: boolean; profile_relink_url?: string }[] } };
    expect(healed['cronofy.data'].profiles[0]).toMatchObject({ profile_connected: true });
    expect(healed['cronofy.data'].profiles[0]).not.toHaveProperty('profile_relink_url');
  });
});

describe('link tokens and the authorize parameters', () => {
  it('links a second provider into the same account: same sub, linking_profile of the new one, both profiles listed', async () => {
    const linkRes = await api(emulator, '/v1/link_tokens', tokens.access_token, { method: 'POST' });
    expect(linkRes.status).toBe(200);
    const { link_token } = (await linkRes.json()) as { link_token: string };

    const page = await fetch(authorizeUrl(emulator, { link_token, provider_name: 'exchange' }));
    const checked = parse(await page.text()).querySelector('input[type="radio"][checked]');
    const label = parse(await (await fetch(authorizeUrl(emulator, { link_token, provider_name: 'exchange' }))).text()).querySelector(`label[for="${checked?.getAttribute('id')}"]`);
    expect(label?.text).toContain('Microsoft 365');

    const back = await consent(authorizeUrl(emulator, { link_token, provider_name: 'exchange' }), { account: 'Microsoft' });
    const res = await post(emulator, '/oauth/token', { ...CLIENT, grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: REDIRECT_URI });
    const second = (await res.json()) as TokenAnswer;
    expect(second.sub).toBe(tokens.sub);
    expect(second.linking_profile).toMatchObject({ provider_name: 'exchange', profile_name: 'morgan.lee@contoso.example' });
    const profiles = (await (await api(emulator, '/v1/profiles', second.access_token)).json()) as { profiles: { provider_name: string }[] };
    expect(profiles.profiles.map((p) => p.provider_name)).toEqual(['google', 'exchange']);

    // single use
    const again = await fetch(authorizeUrl(emulator, { link_token }), { redirect: 'manual' });
    expect(new URL(again.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('accepts avoid_linking and carries it through the consent form', async () => {
    const page = await fetch(authorizeUrl(emulator, { avoid_linking: 'TRUE' }));
    expect(parse(await page.text()).querySelector('input[name="avoid_linking"]')?.getAttribute('value')).toBe('true');
  });
});

describe('the sandbox playground', () => {
  it('is off by default, and when on, its forms add an event (change sent) and disconnect a profile', async () => {
    expect((await fetch(`${emulator.url}/playground`)).status).toBe(404);
    const playground = await start({ playground: true, pushRetryDelaysMs: [] });
    try {
      const own = await tokensFor(playground, { account: 'Google' });
      await api(playground, '/v1/channels', own.access_token, { method: 'POST', body: JSON.stringify({ callback_url: hook.url }) });
      const page = parse(await (await fetch(`${playground.url}/playground`)).text());
      expect(page.querySelectorAll('form[action="/playground/change-event"]')).toHaveLength(seedWorld().accounts.length);

      const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect((await fetch(`${playground.url}/playground/change-event`, form({ account: 'avery.quinn@northwind.example', summary: 'Demo event' }))).status).toBe(200);
      expect((await fetch(`${playground.url}/playground/disconnect-profile`, form({ profile_id: own.linking_profile!.profile_id }))).status).toBe(200);
      expect((await fetch(`${playground.url}/playground/disconnect-profile`, form({ profile_id: 'pro_nope' }))).status).toBe(404);
      await playground.control.pushSettled();
      expect(playground.control.pushDeliveries().map((d) => d.type)).toEqual(['verification', 'change', 'profile_disconnected']);
    } finally {
      await playground.close();
    }
  });
});
