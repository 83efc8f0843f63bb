// A harness whose app also listens on a real port, so the emulator can deliver push notifications
// to it (PUSH_BASE_URL points there); the browser-facing flows still go through supertest.
import { type Harness, type HarnessOptions, startHarness } from './harness';
import { pushOf, type Push } from '../../src/push';

export interface PushHarness extends Harness {
  pushBase: string;
  push: Push;
}

export async function startPushHarness(options: HarnessOptions = {}): Promise<PushHarness> {
  const h = await startHarness({ ...options, listen: { pushBaseUrl: true }, emulator: { pushRetryDelaysMs: [], ...options.emulator } });
  if (!h.url) throw new Error('the harness did not listen');
  return { ...h, pushBase: h.url, push: pushOf(h.app) };
}

/** Every delivery the emulator started has been answered, and the app has finished the work they caused. */
export async function pushQuiet(h: PushHarness): Promise<void> {
  await h.emulator.control.pushSettled();
  await h.push.settled();
}
