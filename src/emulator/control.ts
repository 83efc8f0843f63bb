// What tests use to steer the emulator (docs/emulator.md, "Test control"): recorded requests,
// faults on the next calls to a path (faults.ts), holds that park a request until the test lets it
// go (holds.ts), the rate limit, reset; the same over HTTP under /__emulator/ when asked for.
// - The rate limit counts every call to /oauth/token* and /v1/* in fixed one-second and one-minute
//   windows; over it: 429 with Retry-After in seconds (whether Cronofy sends one is unconfirmed, docs/cronofy-notes.md U10).
import type { Request, RequestHandler, Response } from 'express';
import { bodyOf, type EmulatorContext } from './context';
import { controlError, send } from './errors';
import type { Faults } from './faults';
import type { Holds } from './holds';
import { createPushControl } from './push-control';
import type { EmulatorControl, FaultOptions, HeldRequest, RecordedRequest } from './types';

/** Recorded requests kept (oldest dropped first), so a long-running emulator does not grow without end. */
const MAX_RECORDED = 10_000;

/** A request as the recorder keeps it; its status is 0 until the answer's head is written. */
export const describe = (req: Request): RecordedRequest => ({
  method: req.method,
  path: req.path,
  query: { ...(req.query as Record<string, string | string[]>) },
  headers: { ...req.headers },
  body: req.body as unknown,
  status: 0,
});

export function createRecorder() {
  const recorded: RecordedRequest[] = [];
  /** Records each request as it arrives (not the emulator's own /__ paths); its status is filled in when the answer's head is written. */
  const middleware: RequestHandler = (req, res, next) => {
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
  return {
    middleware,
    requests: (): RecordedRequest[] => recorded.map((r) => ({ ...r })),
    clear(): void {
      recorded.length = 0;
    },
  };
}

export type Recorder = ReturnType<typeof createRecorder>;

export function createRateLimiter(limit: { perSecond: number; perMinute: number }, now: () => number) {
  const fresh = () => ({ second: { start: 0, count: 0 }, minute: { start: 0, count: 0 } });
  let windows = fresh();
  const middleware: RequestHandler = (_req, res, next) => {
    const t = now();
    const second = Math.floor(t / 1000) * 1000;
    const minute = Math.floor(t / 60_000) * 60_000;
    if (windows.second.start !== second) windows.second = { start: second, count: 0 };
    if (windows.minute.start !== minute) windows.minute = { start: minute, count: 0 };
    windows.second.count += 1;
    windows.minute.count += 1;
    const retryAt = windows.minute.count > limit.perMinute ? minute + 60_000 : windows.second.count > limit.perSecond ? second + 1000 : 0;
    if (retryAt === 0) return next();
    send(res, { status: 429, headers: { 'Retry-After': String(Math.max(1, Math.ceil((retryAt - t) / 1000))) }, body: { error: 'too_many_requests' } });
  };
  return {
    middleware,
    /** Both windows start again from nothing. */
    reset(): void {
      windows = fresh();
    },
  };
}

/** The control handle, and the hold lookup its HTTP routes use. */
export interface Controls extends EmulatorControl {
  heldRequest(id: string): HeldRequest | undefined;
}

export function createControl(ctx: EmulatorContext, parts: { recorder: Recorder; faults: Faults; holds: Holds; reset(): void }): Controls {
  return {
    ...createPushControl(ctx),
    expireAccessTokens: () => ctx.state.expireAccessTokens(),
    revokeGrant: (tokenOrSub) => {
      ctx.state.revoke({ token: tokenOrSub });
      ctx.state.revoke({ sub: tokenOrSub });
    },
    failNext: (path, fault) => parts.faults.failNext(path, fault),
    hold: (path, options) => parts.holds.hold(path, options),
    heldRequest: (id) => parts.holds.byId(id),
    overridePermissionsUrl: (url) => {
      ctx.overrides.permissionsUrl = url;
    },
    liveGrants: () => ctx.state.liveGrants(),
    requests: () => parts.recorder.requests(),
    clearRequests: () => parts.recorder.clear(),
    callbacks: () => ctx.callbacks.sent(),
    callbacksSettled: () => ctx.callbacks.settled(),
    reset: () => parts.reset(),
  };
}

// ---------------------------------------------------------------------------------------------
// The control over HTTP (endpoints.ts, role "control"): for a demo or a test in another process.
// Never on by default. A call it cannot act on is refused with 400 (a bad body) or 404 (nothing
// of that name), `{"error": "..."}`.

export type ControlHandler = (control: Controls, req: Request, res: Response) => void | Promise<void>;

/** A string field of the body; a 400 naming it otherwise. */
function text(req: Request, key: string): string {
  const value = bodyOf(req)[key];
  if (typeof value !== 'string') throw controlError(400, `${key} (a string) is required`);
  return value;
}

/** A path field of the body: a string starting with /. */
function pathField(req: Request): string {
  const path = bodyOf(req).path;
  if (typeof path !== 'string' || !path.startsWith('/')) throw controlError(400, 'path (starting with /) is required');
  return path;
}

/** Runs a push-control action, whose only failure is naming an account or profile the world does not have. */
function naming<T>(act: () => T): T {
  try {
    return act();
  } catch (err) {
    throw controlError(404, err instanceof Error ? err.message : String(err));
  }
}

function heldById(control: Controls, req: Request): HeldRequest {
  const held = control.heldRequest(String(req.params.id));
  if (!held) throw controlError(404, 'no such hold');
  return held;
}

const done = (res: Response) => res.status(204).end();

export const expireAccessTokens: ControlHandler = (control, _req, res) => {
  control.expireAccessTokens();
  done(res);
};

export const revokeGrant: ControlHandler = (control, req, res) => {
  control.revokeGrant(text(req, 'token_or_sub'));
  done(res);
};

const FAULT_FIELDS = new Set(['path', 'times', 'method', 'status', 'body', 'headers', 'dropAnswer']);

export const failNext: ControlHandler = (control, req, res) => {
  const path = pathField(req);
  const unknown = Object.keys(bodyOf(req)).filter((key) => !FAULT_FIELDS.has(key));
  if (unknown.length > 0) throw controlError(400, `unknown fault field(s) ${unknown.join(', ')}; a hang or a race window is a hold (POST /__emulator/hold)`);
  const fault = Object.fromEntries(Object.entries(bodyOf(req)).filter(([key]) => key !== 'path')) as FaultOptions; // its own fields only (checked above)
  control.failNext(path, fault);
  done(res);
};

export const placeHold: ControlHandler = (control, req, res) => {
  const { method } = bodyOf(req);
  if (method !== undefined && typeof method !== 'string') throw controlError(400, 'method must be a string');
  res.status(201).json({ id: control.hold(pathField(req), { method }).id });
};

/** Answers once the held request has arrived: a test in another process waits on this call. */
export const holdArrived: ControlHandler = async (control, req, res) => {
  res.json(await heldById(control, req).arrived);
};

export const releaseHold: ControlHandler = (control, req, res) => {
  const held = heldById(control, req);
  const { status, body, headers } = bodyOf(req) as { status?: unknown; body?: unknown; headers?: Record<string, string> };
  if (status === undefined) held.release();
  else if (typeof status === 'number' && Number.isInteger(status) && status >= 200 && status <= 599) held.release({ status, body, headers });
  else throw controlError(400, 'status must be a whole number from 200 to 599');
  done(res);
};

export const overridePermissionsUrl: ControlHandler = (control, req, res) => {
  const { url } = bodyOf(req);
  control.overridePermissionsUrl(typeof url === 'string' ? url : null);
  done(res);
};

export const liveGrants: ControlHandler = (control, _req, res) => void res.json(control.liveGrants());
export const recordedRequests: ControlHandler = (control, _req, res) => void res.json(control.requests());
export const sentCallbacks: ControlHandler = (control, _req, res) => void res.json(control.callbacks());
export const pushDeliveries: ControlHandler = (control, _req, res) => void res.json(control.pushDeliveries());

export const clearRequests: ControlHandler = (control, _req, res) => {
  control.clearRequests();
  done(res);
};

export const reset: ControlHandler = (control, _req, res) => {
  control.reset();
  done(res);
};

export const disconnectProfile: ControlHandler = (control, req, res) => {
  const profileId = text(req, 'profile_id');
  naming(() => control.disconnectProfile(profileId));
  done(res);
};

export const changeEvent: ControlHandler = (control, req, res) => {
  const [account, summary] = [text(req, 'account'), text(req, 'summary')];
  res.json({ event_uid: naming(() => control.changeEvent(account, summary)) });
};

export const sendNotification: ControlHandler = (control, req, res) => {
  const [account, type] = [text(req, 'account'), text(req, 'type')];
  naming(() => control.sendNotification(account, type));
  done(res);
};
