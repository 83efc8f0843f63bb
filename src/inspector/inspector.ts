// The flow inspector: for the current browser session, what crossed the wire in each flow, in
// order. Every token, code, state and secret is masked before it is stored; the timeline is kept
// in Redis, newest 200 steps, expiring like the session (idle TTL, renewed by each step) and
// deleted on logout (`forget`). Switched off (`enabled: false`, production without INSPECTOR=true)
// it records nothing.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Request, RequestHandler } from 'express';
import type { KeyValueStore } from '../store/kv';
import { inspectorIdOf } from '../session/access';

export type Detail = Record<string, string | number | boolean | undefined>;

export interface InspectorStep {
  at: number;
  /** The flow this step belongs to, from the page that made it: "Individual Connect", "Extended Permissions"… */
  flow: string;
  /** The app request during which it happened, e.g. "GET /oauth/callback". */
  request: string;
  step: string;
  detail: Detail;
}

export const INSPECTOR_PREFIX = 'cronofy-connect:inspector:';
const PREFIX = INSPECTOR_PREFIX;
const MAX_STEPS = 200;

const FLOWS: [RegExp, string][] = [
  [/^\/connect\/organization/, 'Organization Connect'],
  [/^\/(connect\/)?enterprise/, 'Enterprise Connect'],
  [/^\/connect\//, 'Individual Connect'],
  [/^\/oauth\/callback/, 'Callback'],
  [/^\/permissions/, 'Extended Permissions'],
  [/^\/organization/, 'Organization'],
  [/^\/calendars/, 'Calendars'],
  [/^\/(disconnect|logout)/, 'Disconnect'],
];

function flowOf(path: string): string {
  return FLOWS.find(([pattern]) => pattern.test(path))?.[1] ?? 'Other';
}

export function createInspector(kv: KeyValueStore, ttlMs: number, now: () => number, enabled = true) {
  const current = new AsyncLocalStorage<Request>();
  const named = new WeakMap<Request, string>();

  function record(req: Request | undefined, step: string, detail: Detail, flow?: string): void {
    const id = inspectorIdOf(req);
    if (!enabled || !req || !id) return;
    const entry: InspectorStep = {
      at: now(),
      flow: flow ?? named.get(req) ?? flowOf(req.path),
      request: `${req.method} ${req.path}`,
      step,
      detail,
    };
    // A lost inspector step must never fail the request that made it.
    kv.pushBounded(PREFIX + id, JSON.stringify(entry), MAX_STEPS, ttlMs).catch(() => undefined);
  }

  /** Deletes a timeline by its id (a session that reached its absolute lifetime). */
  async function forgetTimeline(id: string | undefined): Promise<void> {
    if (id) await kv.del(PREFIX + id);
  }

  return {
    /** Lets code without `req` (the Cronofy client's hooks) record into the current request's session. */
    middleware: ((req, _res, next) => current.run(req, next)) as RequestHandler,
    record,
    /** Files every later step of this request under `flow` (the callback serves several flows). */
    nameFlow(req: Request, flow: string): void {
      named.set(req, flow);
    },
    /** Records into a session's timeline from a request that has no session (a server-to-server callback). */
    recordFor(inspectorId: string, flow: string, request: string, step: string, detail: Detail): void {
      const entry: InspectorStep = { at: now(), flow, request, step, detail };
      kv.pushBounded(PREFIX + inspectorId, JSON.stringify(entry), MAX_STEPS, ttlMs).catch(() => undefined);
    },
    /** Records into the request running now, if any. */
    recordHere(step: string, detail: Detail): void {
      record(current.getStore(), step, detail);
    },
    enabled,
    /** Deletes this session's timeline (logout). */
    forget: (req: Request): Promise<void> => forgetTimeline(inspectorIdOf(req)),
    forgetTimeline,
    async timeline(req: Request): Promise<InspectorStep[]> {
      const id = inspectorIdOf(req);
      if (!id) return [];
      return (await kv.list(PREFIX + id)).map((raw) => JSON.parse(raw) as InspectorStep).reverse();
    },
  };
}

export type Inspector = ReturnType<typeof createInspector>;
