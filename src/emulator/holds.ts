// Holds: the emulator's one way to let a test act inside a race window by waiting for an event
// instead of for time. A request to a given path is parked when it arrives and answered only when
// the test lets it go.
// - A hold catches the next request to its exact path (no query), and only with its method when one
//   is given; holds on one path catch requests in the order they were placed, one request each.
// - `arrived` resolves with the request (as recorded) once it is parked.
// - release() sends it on to its normal answer, worked out only then (so it sees what the test
//   changed meanwhile); release({ status, body, headers }) answers with that instead. A hold
//   released before its request comes answers that request at once.
// - A hold never released is Cronofy not answering: the caller's own timeout ends the wait.
// - Holds are checked before failNext faults (faults.ts); a released request still meets them.
// - reset() sends every parked request on to its normal answer and forgets every hold.
import type { Request, RequestHandler } from 'express';
import { send } from './errors';
import type { Answer, HeldRequest, RecordedRequest } from './types';

interface PendingHold extends HeldRequest {
  method?: string;
  path: string;
  caught: boolean;
  arrive(request: RecordedRequest): void;
  released: Promise<Answer | undefined>;
}

export function createHolds(describe: (req: Request) => RecordedRequest) {
  const holds = new Map<string, PendingHold>();
  let counter = 0;

  function hold(path: string, options: { method?: string } = {}): HeldRequest {
    let arrive!: (request: RecordedRequest) => void;
    let release!: (answer?: Answer) => void;
    const arrived = new Promise<RecordedRequest>((resolve) => (arrive = resolve));
    const released = new Promise<Answer | undefined>((resolve) => (release = resolve));
    counter += 1;
    const entry: PendingHold = {
      id: `h${counter}`,
      path,
      method: options.method?.toUpperCase(),
      caught: false,
      arrived,
      arrive,
      released,
      release: (answer) => release(answer),
    };
    holds.set(entry.id, entry);
    return { id: entry.id, arrived, release: entry.release };
  }

  /** Parks a request a hold is waiting for; every other request goes straight on. */
  const parker: RequestHandler = async (req, res, next) => {
    const entry = [...holds.values()].find((h) => !h.caught && h.path === req.path && (h.method === undefined || h.method === req.method));
    if (!entry) return next();
    entry.caught = true;
    entry.arrive(describe(req));
    const answer = await entry.released;
    if (answer === undefined) return next();
    send(res, answer);
  };

  return {
    hold,
    parker,
    byId: (id: string): HeldRequest | undefined => holds.get(id),
    reset(): void {
      for (const entry of holds.values()) entry.release();
      holds.clear();
    },
  };
}

export type Holds = ReturnType<typeof createHolds>;
