// Faults that let a test wait for an event instead of for time:
// - hold: a matching request is parked until the test releases it; `held` resolves once one is parked;
// - dropAnswer: the request is handled for real (a refresh rotates the token) and then the
//   connection is cut, so the caller never sees the answer (a timeout or a lost reply, in effect).
import type { Request, Response } from 'express';

export function createHolds() {
  const parked = new Map<string, (() => void)[]>();
  const waiting = new Map<string, (() => void)[]>();

  return {
    /** Resolves when the test releases `name`. */
    park(name: string): Promise<void> {
      return new Promise<void>((resolve) => {
        parked.set(name, [...(parked.get(name) ?? []), resolve]);
        for (const wake of waiting.get(name) ?? []) wake();
        waiting.delete(name);
      });
    },
    /** Resolves once a request is parked under `name` (at once if one already is). */
    held(name: string): Promise<void> {
      if ((parked.get(name) ?? []).length > 0) return Promise.resolve();
      return new Promise<void>((resolve) => waiting.set(name, [...(waiting.get(name) ?? []), resolve]));
    },
    release(name: string): void {
      for (const resume of parked.get(name) ?? []) resume();
      parked.delete(name);
    },
    releaseAll(): void {
      for (const name of [...parked.keys()]) this.release(name);
    },
  };
}

export type Holds = ReturnType<typeof createHolds>;

/** Lets the real handler run, then cuts the connection instead of sending its answer. */
export function dropAnswer(req: Request, res: Response): void {
  res.end = ((..._args: unknown[]) => {
    req.socket.destroy();
    return res;
  }) as typeof res.end;
}
