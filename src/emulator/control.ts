// What tests use to steer the emulator: recorded requests, faults on the next calls to a path,
// requests parked by path until the test releases them (parked.ts), named holds and lost answers (hold.ts), a rate limit, and the same
// control over HTTP under /__emulator/ when asked for.
// - Faults match the exact path (no query) and, when given, the method; each fires `times` times.
// - The rate limit counts every call to /oauth/token* and /v1/* in fixed one-second and one-minute
//   windows; over it: 429 with Retry-After in seconds (whether Cronofy sends one is unconfirmed, docs/cronofy-notes.md U10).
import { setTimeout as delay } from 'node:timers/promises';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { createHolds, dropAnswer } from './hold';
import type { Callbacks } from './callbacks';
import { createParkedRequests } from './parked';
import type { EmulatorState } from './state';
import type { EmulatorControl, FaultOptions, HoldAnswer, PushControl, RecordedRequest } from './types';

/** Recorded requests kept (oldest dropped first), so a long-running emulator does not grow without end. */
const MAX_RECORDED = 10_000;

interface PendingFault extends FaultOptions {
  remaining: number;
}

/** A request as the recorder keeps it; its status is 0 until the answer's head is written. */
const describe = (req: Request): RecordedRequest => ({
  method: req.method,
  path: req.path,
  query: { ...(req.query as Record<string, string | string[]>) },
  headers: { ...req.headers },
  body: req.body as unknown,
  status: 0,
});

export function createControl(state: EmulatorState, callbacks: Callbacks) {
  const recorded: RecordedRequest[] = [];
  const faults = new Map<string, PendingFault[]>();
  const parked = createParkedRequests(describe);
  let permissionsUrl: string | null = null;
  const holds = createHolds();

  const control: Omit<EmulatorControl, keyof PushControl> = {
    expireAccessTokens: () => state.expireAccessTokens(),
    revokeGrant: (tokenOrSub) => {
      state.revoke({ token: tokenOrSub });
      state.revoke({ sub: tokenOrSub });
    },
    failNext: (path, fault) => {
      faults.set(path, [...(faults.get(path) ?? []), { ...fault, remaining: fault.times ?? 1 }]);
    },
    hold: (path, options) => parked.hold(path, options),
    overridePermissionsUrl: (url) => {
      permissionsUrl = url;
    },
    held: (name) => holds.held(name),
    release: (name) => holds.release(name),
    liveGrants: () => state.liveGrants(),
    requests: () => recorded.map((r) => ({ ...r })),
    clearRequests: () => {
      recorded.length = 0;
    },
    callbacks: () => callbacks.sent(),
    callbacksSettled: () => callbacks.settled(),
    reset: () => {
      state.reset();
      callbacks.clear();
      faults.clear();
      holds.releaseAll();
      parked.reset();
      permissionsUrl = null;
      recorded.length = 0;
    },
  };

  /** Records each request as it arrives; its status is filled in when the answer's head is written. */
  const recorder: RequestHandler = (req, res, next) => {
    if (req.path.startsWith('/__')) return next();
    const entry = describe(req);
    recorded.push(entry);
    if (recorded.length > MAX_RECORDED) recorded.splice(0, recorded.length - MAX_RECORDED);
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
    res.writeHead = ((...args: unknown[]) => {
      entry.status = res.statusCode;
      return writeHead(...args);
    }) as typeof res.writeHead;
    next();
  };

  const injector: RequestHandler = async (req: Request, res: Response, next: NextFunction) => {
    const queue = faults.get(req.path);
    const fault = queue?.find((f) => f.method === undefined || f.method.toUpperCase() === req.method);
    if (!queue || !fault) return next();
    fault.remaining -= 1;
    if (fault.remaining <= 0) queue.splice(queue.indexOf(fault), 1);
    if (fault.delayMs) await delay(fault.delayMs, undefined, { ref: false }); // a hang must not keep a test process alive
    if (fault.hold !== undefined) await holds.park(fault.hold);
    if (fault.dropAnswer) dropAnswer(req, res);
    if (fault.status === undefined) return next();
    res.status(fault.status).set(fault.headers ?? {});
    if (fault.body === undefined) res.end();
    else res.json(fault.body);
  };

  return { control, recorder, parker: parked.parker, injector, heldRequest: parked.byId, permissionsUrl: () => permissionsUrl };
}

export function rateLimiter(limit: { perSecond: number; perMinute: number }, now: () => number = Date.now): RequestHandler {
  const windows = { second: { start: 0, count: 0 }, minute: { start: 0, count: 0 } };
  return (_req, res, next) => {
    const t = now();
    const second = Math.floor(t / 1000) * 1000;
    const minute = Math.floor(t / 60_000) * 60_000;
    if (windows.second.start !== second) windows.second = { start: second, count: 0 };
    if (windows.minute.start !== minute) windows.minute = { start: minute, count: 0 };
    windows.second.count += 1;
    windows.minute.count += 1;
    const retryAt = windows.minute.count > limit.perMinute ? minute + 60_000 : windows.second.count > limit.perSecond ? second + 1000 : 0;
    if (retryAt === 0) return next();
    res.status(429).set('Retry-After', String(Math.max(1, Math.ceil((retryAt - t) / 1000)))).json({ error: 'too_many_requests' });
  };
}

/** The control handle over HTTP, for a demo or a test in another process. Never on by default. */
export function controlRoutes(control: Omit<EmulatorControl, keyof PushControl>, heldRequest: (id: string) => ReturnType<EmulatorControl['hold']> | undefined): Router {
  const router = Router();
  router.use(express.json());
  router.post('/__emulator/expire-access-tokens', (_req, res) => {
    control.expireAccessTokens();
    res.status(204).end();
  });
  router.post('/__emulator/revoke', (req, res) => {
    const value = (req.body as { token_or_sub?: unknown }).token_or_sub;
    if (typeof value !== 'string') return void res.status(400).json({ error: 'token_or_sub (a string) is required' });
    control.revokeGrant(value);
    res.status(204).end();
  });
  router.post('/__emulator/fail-next', (req, res) => {
    const { path, ...fault } = req.body as FaultOptions & { path?: unknown };
    if (typeof path !== 'string' || !path.startsWith('/')) return void res.status(400).json({ error: 'path (starting with /) is required' });
    control.failNext(path, fault);
    res.status(204).end();
  });
  router.post('/__emulator/hold', (req, res) => {
    const { path, method } = req.body as { path?: unknown; method?: unknown };
    if (typeof path !== 'string' || !path.startsWith('/')) return void res.status(400).json({ error: 'path (starting with /) is required' });
    if (method !== undefined && typeof method !== 'string') return void res.status(400).json({ error: 'method must be a string' });
    res.status(201).json({ id: control.hold(path, { method }).id });
  });
  // Answers once the held request has arrived: a test in another process waits on this call.
  router.get('/__emulator/hold/:id/arrived', async (req, res) => {
    const held = heldRequest(req.params.id);
    if (!held) return void res.status(404).json({ error: 'no such hold' });
    res.json(await held.arrived);
  });
  router.post('/__emulator/hold/:id/release', (req, res) => {
    const held = heldRequest(req.params.id);
    if (!held) return void res.status(404).json({ error: 'no such hold' });
    const answer = req.body as Partial<HoldAnswer>;
    if (answer.status !== undefined && !(Number.isInteger(answer.status) && answer.status >= 200 && answer.status <= 599)) {
      return void res.status(400).json({ error: 'status must be a whole number from 200 to 599' });
    }
    held.release(answer.status === undefined ? undefined : { status: answer.status, body: answer.body, headers: answer.headers });
    res.status(204).end();
  });
  router.post('/__emulator/permissions-url', (req, res) => {
    const url = (req.body as { url?: unknown }).url;
    control.overridePermissionsUrl(typeof url === 'string' ? url : null);
    res.status(204).end();
  });
  router.post('/__emulator/release', (req, res) => {
    const name = (req.body as { name?: unknown }).name;
    if (typeof name !== 'string') return void res.status(400).json({ error: 'name (a string) is required' });
    control.release(name);
    res.status(204).end();
  });
  router.get('/__emulator/grants', (_req, res) => res.json(control.liveGrants()));
  router.get('/__emulator/requests', (_req, res) => res.json(control.requests()));
  router.get('/__emulator/callbacks', (_req, res) => res.json(control.callbacks()));
  router.delete('/__emulator/requests', (_req, res) => {
    control.clearRequests();
    res.status(204).end();
  });
  router.post('/__emulator/reset', (_req, res) => {
    control.reset();
    res.status(204).end();
  });
  return router;
}
