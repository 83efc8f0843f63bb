// Delivers push notifications to channel callback URLs, as Cronofy does (docs/emulator.md, "Push
// notifications"; https://docs.cronofy.com/developers/api/push-notifications/):
// - the body is compact JSON, `notification` then `channel`, POSTed with
//   `Content-Type: application/json; charset=utf-8`;
// - `Cronofy-HMAC-SHA256` is Base64(HMAC-SHA256(key = client secret, message = the body bytes)),
//   one value per active client secret, joined with "," (no space) during a rotation;
// - a delivery that fails (no 2xx, network error, no answer within the timeout) is retried after
//   each of `retryDelaysMs`, then given up (Cronofy's own schedule is unconfirmed).
import { createHmac } from 'node:crypto';

export interface DeliveryAttempt {
  status?: number;
  error?: string;
}

export interface Delivery {
  channel_id: string;
  callback_url: string;
  type: string;
  /** The exact bytes sent (as a string). */
  body: string;
  signature: string;
  attempts: DeliveryAttempt[];
  delivered: boolean;
}

export interface NotifierOptions {
  /** Active client secrets, the current one first. */
  secrets: () => string[];
  retryDelaysMs?: number[];
  timeoutMs?: number;
  log?: (line: string) => void;
}

const MAX_RECORDED = 1000;

/** The header value for `body` under each secret. */
export function hmacHeader(body: string, secrets: string[]): string {
  return secrets.map((secret) => createHmac('sha256', secret).update(body, 'utf8').digest('base64')).join(',');
}

export function createNotifier(options: NotifierOptions) {
  const retryDelays = options.retryDelaysMs ?? [1000, 5000, 15_000];
  const timeoutMs = options.timeoutMs ?? 5000;
  const deliveries: Delivery[] = [];
  const inFlight = new Set<Promise<void>>();
  /** Scheduled retries and how to release a waiter on each, should the emulator close first. */
  const timers = new Map<NodeJS.Timeout, () => void>();
  let closed = false;
  /** Counts resets: a delivery started before the latest one is not retried. */
  let generation = 0;

  async function attempt(delivery: Delivery): Promise<boolean> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const answer = await fetch(delivery.callback_url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Cronofy-HMAC-SHA256': delivery.signature,
          'User-Agent': 'Cronofy (https://www.cronofy.com/support/)',
        },
        body: delivery.body,
        redirect: 'manual',
        signal: abort.signal,
      });
      await answer.arrayBuffer().catch(() => undefined);
      delivery.attempts.push({ status: answer.status });
      return answer.status >= 200 && answer.status < 300;
    } catch (err) {
      delivery.attempts.push({ error: err instanceof Error ? err.message : String(err) });
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  function cancelRetries(): void {
    for (const [timer, release] of timers) {
      clearTimeout(timer);
      release();
    }
    timers.clear();
  }

  function run(delivery: Delivery, retry: number, startedIn = generation): void {
    const work = attempt(delivery).then((ok) => {
      if (ok) {
        delivery.delivered = true;
        return;
      }
      if (startedIn !== generation) return; // forgotten by a reset while this attempt was on its way
      const wait = retryDelays[retry];
      if (wait === undefined || closed) {
        options.log?.(`emulator: gave up delivering ${delivery.type} to channel ${delivery.channel_id}`);
        return;
      }
      // A scheduled retry counts as in flight, so settled() waits for it.
      const next = new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!closed) run(delivery, retry + 1, startedIn);
          resolve();
        }, wait);
        timer.unref();
        timers.set(timer, resolve);
      });
      inFlight.add(next);
      void next.then(() => inFlight.delete(next));
    });
    inFlight.add(work);
    void work.then(() => inFlight.delete(work));
  }

  return {
    /** Sends one notification (asynchronously); returns what was sent. */
    send(channel: { channel_id: string; callback_url: string; filters: Record<string, unknown> }, notification: { type: string } & Record<string, unknown>): Delivery {
      const body = JSON.stringify({
        notification,
        channel: { channel_id: channel.channel_id, callback_url: channel.callback_url, filters: channel.filters, scheduling_conversations: {} },
      });
      const delivery: Delivery = {
        channel_id: channel.channel_id,
        callback_url: channel.callback_url,
        type: notification.type,
        body,
        signature: hmacHeader(body, options.secrets()),
        attempts: [],
        delivered: false,
      };
      deliveries.push(delivery);
      if (deliveries.length > MAX_RECORDED) deliveries.splice(0, deliveries.length - MAX_RECORDED);
      if (!closed) run(delivery, 0);
      return delivery;
    },

    deliveries: (): Delivery[] => deliveries.map((d) => ({ ...d, attempts: [...d.attempts] })),

    /** Resolves once every delivery started so far, retries included, has finished. */
    async settled(): Promise<void> {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },

    /** Forgets every delivery, and the retries still to come (also of attempts on their way now). */
    reset(): void {
      deliveries.length = 0;
      generation += 1;
      cancelRetries();
    },

    close(): void {
      closed = true;
      cancelRetries();
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
