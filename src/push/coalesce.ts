// Bursts of notifications (a calendar import can cause dozens of `change`s) do bounded work: per
// key, one run at a time; what arrives meanwhile is merged into a single follow-up run, which
// starts when the current one ends. Every caller's promise resolves once a run that covers its
// input has finished. In-process only; other instances coalesce their own deliveries.

export function createCoalescer<T>(merge: (pending: T, incoming: T) => T) {
  const runs = new Map<string, { pending?: T; done: Promise<void> }>();

  return function coalesce(key: string, input: T, work: (input: T) => Promise<void>): Promise<void> {
    const running = runs.get(key);
    if (running) {
      running.pending = running.pending === undefined ? input : merge(running.pending, input);
      return running.done;
    }
    const entry: { pending?: T; done: Promise<void> } = { done: Promise.resolve() };
    runs.set(key, entry);
    entry.done = (async () => {
      try {
        let next: T | undefined = input;
        while (next !== undefined) {
          await work(next);
          next = entry.pending;
          entry.pending = undefined;
        }
      } finally {
        runs.delete(key);
      }
    })();
    return entry.done;
  };
}
