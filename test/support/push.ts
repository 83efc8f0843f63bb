// A harness whose app also listens on a real port, so the emulator can deliver push notifications
// to it (PUSH_BASE_URL points there); the browser-facing flows still go through supertest.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type Harness, type HarnessOptions, startHarness } from './harness';
import { pushOf, type Push } from '../../src/push';

export interface PushHarness extends Harness {
  pushBase: string;
  push: Push;
}

export async function startPushHarness(options: HarnessOptions = {}): Promise<PushHarness> {
  const slot: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const server: Server = createServer((req, res) => {
    if (slot.handler) return slot.handler(req, res);
    res.statusCode = 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const pushBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const h = await startHarness({ ...options, env: { PUSH_BASE_URL: pushBase, ...options.env }, emulator: { pushRetryDelaysMs: [], ...options.emulator } });
  slot.handler = h.app;
  // The app's first command would otherwise race ioredis's connect (1 s command timeout) on a busy machine.
  if (h.redis.status !== 'ready') await once(h.redis, 'ready');
  return {
    ...h,
    pushBase,
    push: pushOf(h.app),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await h.close();
    },
  };
}

/** Every delivery the emulator started has been answered, and the app has finished the work they caused. */
export async function pushQuiet(h: PushHarness): Promise<void> {
  await h.emulator.control.pushSettled();
  await h.push.settled();
}
