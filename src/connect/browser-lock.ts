// One callback at a time per browser (decision 010): two tabs finishing at the same moment must
// not both exchange a code and each keep a grant in a session the browser then drops.
// - The lock is SET NX PX on the browser's flow binding; a second callback that finds it taken
//   stops at once (it has not exchanged its code, so Cronofy holds no grant for it).
// - A binding is retired when the session is regenerated; a callback that got the lock for a
//   retired binding stops too: another tab finished first and its session replaced this one.
import { randomBytes } from 'node:crypto';
import type { KeyValueStore } from '../store/kv';
import type { ConnectionKind } from '../connections/connection';
import { PageError, startAgain } from '../web/errors';
import { STATE_TTL_MS } from '../connections/state-store';

const LOCK_PREFIX = 'cronofy-connect:callback-lock:';
const RETIRED_PREFIX = 'cronofy-connect:retired-binding:';
/** Longer than a code exchange (CRONOFY_TIMEOUT_MS) plus the writes after it. */
const LOCK_TTL_MS = 60_000;

export type BrowserLock = { release(): Promise<void> } | 'busy' | 'retired';

export async function lockBrowser(kv: KeyValueStore, binding: string): Promise<BrowserLock> {
  const holder = randomBytes(12).toString('hex');
  if (!(await kv.setIfAbsent(LOCK_PREFIX + binding, holder, LOCK_TTL_MS))) return 'busy';
  const release = async () => void (await kv.delIfEquals(LOCK_PREFIX + binding, holder));
  if ((await kv.get(RETIRED_PREFIX + binding)) !== null) {
    await release();
    return 'retired';
  }
  return { release };
}

/** Marks a binding as replaced; flows bound to it can no longer complete. */
export async function retireBinding(kv: KeyValueStore, binding: string): Promise<void> {
  await kv.set(RETIRED_PREFIX + binding, '1', STATE_TTL_MS);
}

/** Runs `fn` holding this browser's callback lock; a busy or retired binding gets a 409 page and `fn` never runs. */
export async function withBrowserLock<T>(kv: KeyValueStore, binding: string, kind: ConnectionKind, fn: () => Promise<T>): Promise<T> {
  const lock = await lockBrowser(kv, binding);
  if (lock === 'busy' || lock === 'retired') {
    throw new PageError({
      status: 409,
      code: 'another_tab_first',
      title: 'Another tab finished first',
      message:
        'Another tab of this browser was finishing a connection at the same moment. This one stopped before asking Cronofy for tokens, so nothing was granted twice. Open your calendars, or start again.',
      next: [{ href: `/${kind === 'individual' ? 'calendars' : kind}`, label: 'Open what is connected' }, startAgain(kind)],
    });
  }
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
