// Revokes on the wire, per Cronofy account: what closes the race of decision 010. Cronofy keeps one
// authorization per account, so a revoke of an account sent just before that account signs in
// again can reach Cronofy after the new code exchange and end the authorization just given.
// - Every revoke of a known account marks the account before it is sent ("sending", SET PX) and
//   again when its answer is in ("sent"; only its own mark is replaced, keeping the expiry). The
//   mark lasts the longest a revoke can take (`callMs`, CRONOFY_TIMEOUT_MS) and as long again after
//   it, plus a margin: longer than a code exchange that began before the revoke was answered.
// - A sign-in, once it holds the record and has cancelled the account's queued revokes, reads the
//   mark: "sending" waits for the answer (a message on the account's channel; `callMs` at most), and
//   any mark means a revoke may have reached Cronofy after its exchange: the caller checks the new
//   grant with one call.
// - The worker marks a queued revoke before it reads its job once more, and a sign-in cancels jobs
//   before it reads the mark: either the worker finds its job cancelled and sends nothing, or the
//   sign-in sees the mark (each side writes, then reads what the other writes).
import { randomBytes } from 'node:crypto';
import type { DataCenter } from '../cronofy/data-centers';
import type { KeyValueStore } from '../store/kv';
import { accountKeyPart } from './queue';

export interface RevokesInFlightOptions {
  kv: KeyValueStore;
  /** Names this application's marks (identity.ts applicationKey). */
  namespace: string;
  /** The longest one Cronofy call can take (CRONOFY_TIMEOUT_MS). */
  callMs: number;
}

const SENDING = 'sending:';
const SENT = 'sent';
const MARGIN_MS = 5_000;

export function createRevokesInFlight({ kv, namespace, callMs }: RevokesInFlightOptions) {
  const markTtl = 2 * callMs + MARGIN_MS;
  const markKey = (dataCenter: DataCenter, sub: string) => `cronofy-connect:revoke:${namespace}:on-the-wire:${accountKeyPart(dataCenter, sub)}`;
  const channelOf = (dataCenter: DataCenter, sub: string) => `cronofy-connect:revoke-answered:${namespace}:${accountKeyPart(dataCenter, sub)}`;

  /** Resolves once the mark no longer says "sending", or after `callMs` (a sender that died). */
  async function whileSending(key: string, channel: string): Promise<void> {
    let timedOut = false;
    let wake!: () => void;
    let woken = new Promise<void>((resolve) => (wake = resolve));
    const unsubscribe = await kv.subscribe(channel, () => wake());
    const timer = setTimeout(() => {
      timedOut = true;
      wake();
    }, callMs);
    try {
      // Read after subscribing, and again after each message: a message missed in between changed the mark first.
      while (!timedOut && (await kv.get(key))?.startsWith(SENDING)) {
        await woken;
        woken = new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      clearTimeout(timer);
      await unsubscribe();
    }
  }

  return {
    /** Marks the account's revoke as on the wire; call the returned function once it is answered (or failed). */
    async begin(dataCenter: DataCenter, sub: string): Promise<() => Promise<void>> {
      const key = markKey(dataCenter, sub);
      const mine = `${SENDING}${randomBytes(8).toString('hex')}`;
      await kv.set(key, mine, markTtl);
      return async () => {
        await kv.replaceIfPrefix(key, mine, SENT); // a newer revoke's mark is left as it is
        await kv.publish(channelOf(dataCenter, sub), SENT);
      };
    },

    /** Waits while a revoke of this account is on the wire; true when one may have reached Cronofy lately. */
    async lately(dataCenter: DataCenter, sub: string): Promise<boolean> {
      const key = markKey(dataCenter, sub);
      const mark = await kv.get(key);
      if (mark === null) return false;
      if (mark.startsWith(SENDING)) await whileSending(key, channelOf(dataCenter, sub));
      return true;
    },
  };
}

export type RevokesInFlight = ReturnType<typeof createRevokesInFlight>;
