// POST /push/{key}: where Cronofy delivers a channel's notifications. Outside sessions, CSRF,
// cookies and the per-IP POST limit (all of Cronofy's deliveries would share one bucket). In order:
// 1. the body is read raw, at most 16 KB (413 above): the signature covers the exact bytes;
// 2. Cronofy-HMAC-SHA256 must match under the client secret or a previous one (401 otherwise);
// 3. the key must be a live channel's (404 otherwise): it is unguessable, and only its hash is stored;
// 4. the body must be a notification for that channel (400 otherwise);
// 5. answer 202 at once (Cronofy expects an answer within seconds), then do the work.
// A refusal changes nothing and says nothing about which check failed beyond its status.
import express, { type ErrorRequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import { KEY_PATTERN } from './channels';
import type { Notification, NotificationHandler } from './notifications';
import { signatureMatches } from './signature';
import type { PushStore } from './store';

export const MAX_NOTIFICATION_BYTES = 16 * 1024;

export interface ReceiverDeps {
  store: PushStore;
  /** The current client secret first, then previous ones still accepted. */
  secrets: readonly string[];
  handler: NotificationHandler;
  logger: Logger;
  /** Told about each piece of work started after answering (tests and shutdown wait for them). */
  track: (work: Promise<void>) => void;
}

function parseNotification(raw: Buffer): { notification: Notification; channelId: string } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { notification, channel } = body as { notification?: unknown; channel?: unknown };
  if (typeof notification !== 'object' || notification === null || typeof channel !== 'object' || channel === null) return undefined;
  const { type, changes_since } = notification as { type?: unknown; changes_since?: unknown };
  const channelId = (channel as { channel_id?: unknown }).channel_id;
  if (typeof type !== 'string' || type.length === 0 || type.length > 100 || typeof channelId !== 'string') return undefined;
  if (changes_since !== undefined && typeof changes_since !== 'string') return undefined;
  return { notification: { type, changes_since }, channelId };
}

export function pushReceiver(deps: ReceiverDeps): Router {
  const router = Router();
  const refuse = (res: express.Response, status: number, text: string) => res.status(status).type('text/plain').send(text);

  router.post('/push/:key', express.raw({ type: () => true, limit: MAX_NOTIFICATION_BYTES }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!signatureMatches(raw, req.get('cronofy-hmac-sha256'), deps.secrets)) return void refuse(res, 401, 'signature missing or not valid');
    const key = req.params.key ?? '';
    const record = KEY_PATTERN.test(key) ? await deps.store.forKey(key) : null;
    if (!record) return void refuse(res, 404, 'no such channel');
    const parsed = parseNotification(raw);
    if (!parsed || (record.channel_id !== undefined && parsed.channelId !== record.channel_id)) return void refuse(res, 400, 'not a notification for this channel');

    res.status(202).end();
    deps.track(deps.handler.handle(record.connection_id, parsed.notification));
  });

  const tooLarge: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 500;
    if (status >= 500) return next(err);
    refuse(res, status === 413 ? 413 : 400, status === 413 ? 'too large' : 'unreadable body');
  };
  router.use('/push', tooLarge);
  return router;
}
