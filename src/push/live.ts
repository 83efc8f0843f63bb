// GET /calendars/live: Server-Sent Events telling an open calendars page that something changed,
// so public/live.js can fetch the page again and swap in the parts marked data-live. Progressive
// enhancement: without JavaScript a reload shows the same. The message carries no data (the page
// is read through the normal, session-checked route).
// - Every app instance subscribes to its sessions' connections on Redis pub/sub, so a notification
//   received by one instance reaches pages held open by another.
// - A comment every 25 s keeps proxies from closing an idle stream; shutdown ends every stream.
import { Router, type Response } from 'express';
import { connectionOf } from '../session/access';
import type { KeyValueStore } from '../store/kv';
import { liveChannel } from './store';

const HEARTBEAT_MS = 25_000;

export function createLiveUpdates(kv: KeyValueStore) {
  const open = new Set<Response>();

  const router = Router();
  router.get('/calendars/live', async (req, res) => {
    const id = connectionOf(req, 'individual');
    if (!id) return void res.status(204).end(); // EventSource stops reconnecting on 204
    const unsubscribe = await kv.subscribe(liveChannel(id), () => void res.write('event: update\ndata: {}\n\n'));
    // Subscribed before the first byte: a client that has read it cannot miss an update.
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write('retry: 5000\n\n');
    open.add(res);
    const heartbeat = setInterval(() => void res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const done = () => {
      open.delete(res);
      clearInterval(heartbeat);
      void unsubscribe();
    };
    req.on('close', done);
    if (req.destroyed) done();
  });

  return {
    router,
    /** Ends every open stream (shutdown: they would otherwise keep the server open). */
    closeAll(): void {
      for (const res of open) res.end();
    },
  };
}
