import { createHmac } from 'node:crypto';
import { parse } from 'node-html-parser';
import { SANDBOX_CLIENT_SECRET } from '../../src/emulator/types';
import { connectionsOf, connectThrough, csrfTokenFrom, type Harness, startHarness } from '../support/harness';
import { pushQuiet, startPushHarness, type PushHarness } from '../support/push';

const AVERY = 'avery.quinn@northwind.example';

describe('push channels with PUSH_BASE_URL set', () => {
  let h: PushHarness;
  beforeAll(async () => {
    h = await startPushHarness();
  });
  afterAll(() => h.close());
  beforeEach(() => h.emulator.control.reset());

  const channels = () => h.emulator.control.openChannels(AVERY);

  it('opens one channel on connect under PUSH_BASE_URL with an unguessable key, verified by Cronofy', async () => {
    const agent = h.agent();
    await connectThrough(agent, { account: 'Google' });
    await pushQuiet(h);
    const [channel] = channels();
    expect(channels()).toHaveLength(1);
    expect(channel!.callback_url).toMatch(new RegExp(`^${h.pushBase}/push/[A-Za-z0-9_-]{43}$`));
    expect(h.emulator.control.pushDeliveries()).toMatchObject([{ type: 'verification', delivered: true, attempts: [{ status: 202 }] }]);

    const page = parse((await agent.get('/calendars').expect(200)).text);
    const panel = page.querySelector('#push-activity')!.text;
    expect(panel).toContain('Push notifications are on');
    expect(panel).toContain(channel!.channel_id);
    expect(panel).toContain('Cronofy verified the push channel.');
  });

  it('closes the channel on disconnect (DELETE /v1/channels/{id}), and a late notification for it is refused', async () => {
    const agent = h.agent();
    await connectThrough(agent, { account: 'Google' });
    await pushQuiet(h);
    const [channel] = channels();
    const csrf = await csrfTokenFrom(agent, '/');
    await agent.post('/disconnect').type('form').send({ _csrf: csrf, connection: 'individual' }).expect(302);
    expect(channels()).toEqual([]);
    expect(h.emulator.control.requests().some((r) => r.method === 'DELETE' && r.path === `/v1/channels/${channel!.channel_id}`)).toBe(true);

    const body = JSON.stringify({ notification: { type: 'change', changes_since: '2026-01-01T00:00:00Z' }, channel: { channel_id: channel!.channel_id } });
    const signature = createHmac('sha256', SANDBOX_CLIENT_SECRET).update(body).digest('base64');
    const late = await fetch(channel!.callback_url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'cronofy-hmac-sha256': signature } });
    expect(late.status).toBe(404);
  });

  it('does not pile channels up when the same browser connects again, nor after a logout and a new connect', async () => {
    const agent = h.agent();
    await connectThrough(agent, { account: 'Google' });
    await connectThrough(agent, { account: 'Google' });
    await connectThrough(agent, { account: 'Google' });
    await pushQuiet(h);
    expect(channels()).toHaveLength(1);

    const csrf = await csrfTokenFrom(agent, '/');
    await agent.post('/logout').type('form').send({ _csrf: csrf }).expect(200);
    await connectThrough(h.agent(), { account: 'Google' });
    await pushQuiet(h);
    expect(channels()).toHaveLength(1);
  });

  it('keeps one channel for a Cronofy account connected from two browsers (one connection per account)', async () => {
    await connectThrough(h.agent(), { account: 'Google' });
    await connectThrough(h.agent(), { account: 'Google' });
    await pushQuiet(h);
    expect(channels()).toHaveLength(1);
  });

  it('shows a change made in the calendar, from the change notification, on the calendars page', async () => {
    const agent = h.agent();
    await connectThrough(agent, { account: 'Google' });
    await pushQuiet(h);
    h.emulator.control.changeEvent(AVERY, 'Offsite planning');
    await pushQuiet(h);
    const feed = parse((await agent.get('/calendars').expect(200)).text).querySelector('#push-activity ol.feed')!.text;
    expect(feed).toContain('New or changed: Offsite planning');
  });

  it('shows a disconnected profile with a Reconnect link to its relink URL, then healthy again after relinking', async () => {
    const agent = h.agent();
    const callback = await connectThrough(agent, { account: 'Google' });
    await pushQuiet(h);
    const [connection] = await connectionsOf(h, callback.headers['set-cookie']);
    const profileId = connection!.linking_profile!.profile_id;

    h.emulator.control.disconnectProfile(profileId);
    await pushQuiet(h);
    const down = parse((await agent.get('/calendars').expect(200)).text);
    expect(down.querySelector('#profile-health')!.text).toContain('Disconnected');
    expect(down.querySelector('#profile-health a')?.getAttribute('href')).toBe(`${h.emulator.url}/relink/${profileId}`);
    expect(down.querySelector('#push-activity')!.text).toContain('avery.quinn@northwind.example (google) disconnected');

    expect((await fetch(`${h.emulator.url}/relink/${profileId}`, { method: 'POST' })).status).toBe(200);
    await pushQuiet(h);
    const up = parse((await agent.get('/calendars').expect(200)).text);
    expect(up.querySelector('#profile-health')!.text).toContain('Connected');
    expect(up.querySelector('#profile-health a')).toBeNull();
    expect(up.querySelector('#push-activity')!.text).toContain('avery.quinn@northwind.example (google) is connected again.');
  });
});

describe('push channels without a reachable base URL', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(); // APP_BASE_URL http://app.test: not reachable from the internet
  });
  afterAll(() => h.close());

  it('opens no channel and the calendars page says push is off and why', async () => {
    h.emulator.control.reset();
    const agent = h.agent();
    await connectThrough(agent, { account: 'Google' });
    expect(h.emulator.control.openChannels(AVERY)).toEqual([]);
    expect(h.emulator.control.requests().some((r) => r.path === '/v1/channels')).toBe(false);
    const panel = parse((await agent.get('/calendars').expect(200)).text).querySelector('#push-activity')!.text;
    expect(panel).toContain('Push notifications are off');
    expect(panel).toContain('Cronofy cannot reach http://app.test');
    expect(panel).toContain('PUSH_BASE_URL');
  });
});
