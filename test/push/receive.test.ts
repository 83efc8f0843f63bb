import { createHmac } from 'node:crypto';
import request from 'supertest';
import { SANDBOX_CLIENT_SECRET } from '../../src/emulator/types';
import { connectThrough, connectionsOf } from '../support/harness';
import { pushQuiet, startPushHarness, type PushHarness } from '../support/push';

const AVERY = 'avery.quinn@northwind.example';
let h: PushHarness;

beforeAll(async () => {
  h = await startPushHarness({ env: { CRONOFY_PREVIOUS_CLIENT_SECRETS: 'previous_secret' } });
});
afterAll(() => h.close());

const sign = (body: string, secret = SANDBOX_CLIENT_SECRET) => createHmac('sha256', secret).update(body).digest('base64');

/** A connected browser, its push channel (as the emulator holds it) and its connection id. */
async function connected() {
  // The previous test's deliveries and the work they started finish before the emulator forgets
  // everything: work landing after the reset would act on this test's new connection.
  await pushQuiet(h);
  h.emulator.control.reset();
  const agent = h.agent();
  const callback = await connectThrough(agent, { account: 'Google' });
  expect(`${callback.status} ${/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(callback.text)?.[1]?.trim() ?? ''}`).toMatch(/^302 /);
  await pushQuiet(h);
  const [channel] = h.emulator.control.openChannels(AVERY);
  const [connection] = await connectionsOf(h, callback.headers['set-cookie']);
  const path = new URL(channel!.callback_url).pathname;
  const body = (type: string, extra: Record<string, string> = {}) =>
    JSON.stringify({ notification: { type, ...extra }, channel: { channel_id: channel!.channel_id, callback_url: channel!.callback_url, filters: {} } });
  h.emulator.control.clearRequests();
  return { agent, channel: channel!, path, connectionId: connection!.id, body };
}

const feed = async (connectionId: string) => h.redis.lrange(`cronofy-connect:push:feed:${connectionId}`, 0, -1);
const cronofyCalls = () => h.emulator.control.requests().filter((r) => r.path.startsWith('/v1/'));
const post = (path: string, body: string, signature?: string) => {
  const req = request(h.app).post(path).set('content-type', 'application/json; charset=utf-8');
  if (signature !== undefined) req.set('Cronofy-HMAC-SHA256', signature);
  return req.send(body);
};

describe('POST /push/{key}', () => {
  it('answers 202 to a validly signed change and then reads the events changed since changes_since', async () => {
    const { path, body } = await connected();
    const payload = body('change', { changes_since: '2026-01-01T00:00:00Z' });
    await post(path, payload, sign(payload)).expect(202);
    await h.push.settled();
    const read = cronofyCalls().find((r) => r.path === '/v1/events');
    expect(read?.query).toMatchObject({ last_modified: '2026-01-01T00:00:00Z', tzid: 'Etc/UTC' });
  });

  it.each([
    ['no signature', undefined],
    ['an empty signature', ''],
    ['a signature under another secret', 'other'],
    ['the right HMAC as hex', 'hex'],
  ])('M14: answers 401 to %s and changes nothing', async (_name, kind) => {
    const { path, body, connectionId } = await connected();
    const before = await feed(connectionId);
    const payload = body('change', { changes_since: '2026-01-01T00:00:00Z' });
    const signature =
      kind === 'other' ? sign(payload, 'not_the_secret') : kind === 'hex' ? createHmac('sha256', SANDBOX_CLIENT_SECRET).update(payload).digest('hex') : kind;
    await post(path, payload, signature).expect(401);
    await h.push.settled();
    expect(cronofyCalls()).toEqual([]);
    expect(await feed(connectionId)).toEqual(before);
  });

  it('M14: answers 401 when the body was changed by one byte after signing', async () => {
    const { path, body } = await connected();
    const payload = body('change', { changes_since: '2026-01-01T00:00:00Z' });
    await post(path, payload.replace('2026-01-01', '2026-01-02'), sign(payload)).expect(401);
    await h.push.settled();
    expect(cronofyCalls()).toEqual([]);
  });

  it('M14: accepts two values during a rotation in either order, and a previous secret alone', async () => {
    const { path, body } = await connected();
    const payload = body('profile_disconnected');
    await post(path, payload, `${sign(payload, 'rotated_in')},${sign(payload)}`).expect(202);
    await post(path, payload, `${sign(payload)},${sign(payload, 'rotated_in')}`).expect(202);
    await post(path, payload, sign(payload, 'previous_secret')).expect(202);
    await post(path, payload, `${sign(payload, 'rotated_in')},${sign(payload, 'not_the_secret')}`).expect(401);
  });

  it('answers 404 for an unknown channel key, even when signed', async () => {
    await connected();
    const payload = JSON.stringify({ notification: { type: 'verification' }, channel: { channel_id: 'chn_x', callback_url: 'x', filters: {} } });
    await post(`/push/${'A'.repeat(43)}`, payload, sign(payload)).expect(404);
    await post('/push/short', payload, sign(payload)).expect(404);
    expect(cronofyCalls()).toEqual([]);
  });

  it('answers 400 to a signed body that is not a notification for this channel', async () => {
    const { path, body } = await connected();
    for (const payload of ['not json', '{"notification":{}}', body('change').replace(/chn_[0-9a-f]+/, 'chn_other')]) {
      await post(path, payload, sign(payload)).expect(400);
    }
    await h.push.settled();
    expect(cronofyCalls()).toEqual([]);
  });

  it('M14: answers 413 to a body over 16 KB and reads nothing', async () => {
    const { path, body } = await connected();
    const payload = body('change', { changes_since: '2026-01-01T00:00:00Z', padding: 'x'.repeat(17 * 1024) });
    await post(path, payload, sign(payload)).expect(413);
    await h.push.settled();
    expect(cronofyCalls()).toEqual([]);
  });

  it('M14: has its effect once when the same notification is delivered again (a retry or a replay)', async () => {
    const { connectionId } = await connected();
    h.emulator.control.changeEvent(AVERY, 'Quarterly review');
    await pushQuiet(h);
    const after = await feed(connectionId);
    expect(after.filter((e) => e.includes('New or changed: Quarterly review'))).toHaveLength(1);

    const delivered = h.emulator.control.pushDeliveries().filter((d) => d.type === 'change').at(-1)!;
    const path = new URL(delivered.callback_url).pathname;
    await post(path, delivered.body, delivered.signature).expect(202);
    await post(path, delivered.body, delivered.signature).expect(202);
    await h.push.settled();
    expect(await feed(connectionId)).toEqual(after);
  });

  it('acknowledges a type it does not know and does nothing with it', async () => {
    const { path, body, connectionId } = await connected();
    const before = await feed(connectionId);
    const payload = body('scheduling_conversation_joined');
    await post(path, payload, sign(payload)).expect(202);
    await h.push.settled();
    expect(cronofyCalls()).toEqual([]);
    expect(await feed(connectionId)).toEqual(before);
  });

  it('keeps the channel key out of the request log', async () => {
    const { path } = await connected();
    await post(path, '{}', 'x').expect(401);
    const key = path.split('/').pop()!;
    expect(h.logs.join('\n')).not.toContain(key);
  });
});
