import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectThrough } from '../support/harness';
import { pushQuiet, startPushHarness, type PushHarness } from '../support/push';
import { sessionCookie } from '../support/stored';

const AVERY = 'avery.quinn@northwind.example';
let h: PushHarness;
let second: Server;
let secondUrl: string;

beforeAll(async () => {
  h = await startPushHarness();
  second = createServer(h.secondInstance());
  await new Promise<void>((resolve) => second.listen(0, '127.0.0.1', resolve));
  secondUrl = `http://127.0.0.1:${(second.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => {
    second.close(() => resolve());
    second.closeAllConnections();
  });
  await h.close();
});

/** Reads the event stream until `text` has arrived; resolves with everything read. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, text: string): Promise<string> {
  const decoder = new TextDecoder();
  let seen = '';
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before "${text}"; got: ${seen}`);
    seen += decoder.decode(value, { stream: true });
  }
  return seen;
}

describe('GET /calendars/live', () => {
  it('tells a page held open by another app instance that a notification changed something (Redis pub/sub)', async () => {
    h.emulator.control.reset();
    const callback = await connectThrough(h.agent(), { account: 'Google' });
    const cookie = sessionCookie(callback);
    await pushQuiet(h);

    const abort = new AbortController();
    const stream = await fetch(`${secondUrl}/calendars/live`, { headers: { cookie }, signal: abort.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.getReader();
    // The server subscribes before its first line, so once that is read no update can be missed.
    expect(await readUntil(reader, 'retry:')).toContain('retry: 5000');

    // The notification goes to the first instance (PUSH_BASE_URL); the stream is on the second.
    h.emulator.control.changeEvent(AVERY, 'Fan-out check');
    expect(await readUntil(reader, 'event: update')).toContain('event: update');
    abort.abort();
  });

  it('answers 204 (stop retrying) to a browser without a connection', async () => {
    const res = await fetch(`${secondUrl}/calendars/live`);
    expect(res.status).toBe(204);
  });
});
