// Holds: a request to a given path is parked when it arrives and answered only when the test lets
// it go, so a test can act inside a race window by waiting for an event instead of for time.
// - A hold catches the next request to its exact path (no query), and only with its method when one
//   is given; holds on one path catch requests in the order they were placed.
// - `arrived` resolves with the request (as recorded) once it is parked.
// - release() sends it on to its normal answer, worked out only then (so it sees what the test changed
//   meanwhile); release({ status, body, headers }) answers with that instead. A hold released before
//   its request comes answers that request at once.
// - Holds are checked before failNext faults; a released request still meets them.
// - reset() sends every parked request on to its normal answer and forgets every hold.
import type { RequestHandler } from 'express';
import type { HeldRequest, HoldAnswer, RecordedRequest } from './types';

interface PendingHold extends HeldRequest {
  method?: string;
  path: string;
  caught: boolean;
  arrive(request: RecordedRequest): void;
  released: Promise<HoldAnswer | undefined>;
}

export function createParkedRequests(describe: (req: Parameters<RequestHandler>[0]) => RecordedRequest) {
  const holds = new Map<string, PendingHold>();
  let counter = 0;

  function hold(path: string, options: { method?: string } = {}): HeldRequest {
    let arrive!: (request: RecordedRequest) => void;
    let release!: (answer?: HoldAnswer) => void;
    const arrived = new Promise<RecordedRequest>((resolve) => (arrive = resolve));
    const released = new Promise<HoldAnswer | undefined>((resolve) => (release = resolve));
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
    res.status(answer.status).set(answer.headers ?? {});
    if (answer.body === undefined) res.end();
    else res.json(answer.body);
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
