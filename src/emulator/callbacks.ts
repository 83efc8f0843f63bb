// Callbacks the emulator POSTs to an application (Enterprise Connect's service-account
// authorizations), signed as push notifications are: Cronofy-HMAC-SHA256 = Base64(HMAC-SHA256(body,
// client secret)), one value per active client secret joined with "," (notify.ts, hmacHeader;
// https://docs.cronofy.com/developers/push-notifications/authentication/: "HMACs are generated in
// the same way for all callback events").
// - Each callback is recorded in the outbox when it is decided, before it is sent, so a test can
//   replay, alter or withhold it; `deliver: false` only records (tests whose app does not listen).
// - Sending happens after the current request has been answered ("later", as Cronofy says), one
//   POST per callback, no retries (Cronofy's retry policy for these is unconfirmed).
// - settled() resolves once every callback decided so far has been answered or has failed.
import { hmacHeader } from './notify';
import type { SentCallback } from './types';

const MAX_KEPT = 1000;
const TIMEOUT_MS = 5000;

export function createCallbacks(options: { secrets: () => string[]; deliver: boolean; log: (line: string) => void }) {
  const outbox: SentCallback[] = [];
  const inFlight = new Set<Promise<void>>();

  async function post(entry: SentCallback): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const answer = await fetch(entry.url, { method: 'POST', headers: entry.headers, body: entry.body, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
      entry.status = answer.status;
      await answer.arrayBuffer();
    } catch (err) {
      entry.error = err instanceof Error ? err.message : String(err);
      options.log(`emulator: callback to ${entry.url} failed: ${entry.error}`);
    }
  }

  return {
    /** Records the signed callback and (unless delivery is off) sends it once the caller has answered. */
    send(url: string, payload: unknown): void {
      const body = JSON.stringify(payload);
      const entry: SentCallback = {
        url,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'cronofy-hmac-sha256': hmacHeader(body, options.secrets()),
        },
        body,
      };
      outbox.push(entry);
      if (outbox.length > MAX_KEPT) outbox.splice(0, outbox.length - MAX_KEPT);
      if (!options.deliver) return;
      const sending = post(entry).finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    },

    sent: (): SentCallback[] => outbox.map((entry) => ({ ...entry, headers: { ...entry.headers } })),

    async settled(): Promise<void> {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },

    clear(): void {
      outbox.length = 0;
    },
  };
}

export type Callbacks = ReturnType<typeof createCallbacks>;
