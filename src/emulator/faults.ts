// Faults a test puts on the next calls to a path (control.failNext), checked after holds (holds.ts):
// - status (with body and headers): answer that instead of the real answer;
// - dropAnswer: handle the request for real (a refresh rotates the token), then cut the connection,
//   so the caller never sees the answer (a lost reply, in effect).
// - A fault matches the exact path (no query) and, when given, the method; it fires `times` times
//   (default 1); faults on one path fire in the order they were placed.
import type { Request, RequestHandler, Response } from 'express';
import { send } from './errors';
import type { FaultOptions } from './types';

interface PendingFault extends FaultOptions {
  remaining: number;
}

export function createFaults() {
  const faults = new Map<string, PendingFault[]>();

  const injector: RequestHandler = (req, res, next) => {
    const queue = faults.get(req.path);
    const fault = queue?.find((f) => f.method === undefined || f.method.toUpperCase() === req.method);
    if (!queue || !fault) return next();
    fault.remaining -= 1;
    if (fault.remaining <= 0) queue.splice(queue.indexOf(fault), 1);
    if (fault.dropAnswer) dropAnswer(req, res);
    if (fault.status === undefined) return next();
    send(res, { status: fault.status, body: fault.body, headers: fault.headers });
  };

  return {
    failNext(path: string, fault: FaultOptions): void {
      faults.set(path, [...(faults.get(path) ?? []), { ...fault, remaining: fault.times ?? 1 }]);
    },
    injector,
    reset(): void {
      faults.clear();
    },
  };
}

/** Lets the real handler run, then cuts the connection instead of sending its answer. */
function dropAnswer(req: Request, res: Response): void {
  res.end = ((..._args: unknown[]) => {
    req.socket.destroy();
    return res;
  }) as typeof res.end;
}

export type Faults = ReturnType<typeof createFaults>;
