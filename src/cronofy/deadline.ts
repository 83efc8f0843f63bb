// One deadline for everything a page asks of Cronofy, across calls and their retries.
// - `runWithDeadline(ms, fn)` starts the budget; every call the Cronofy client makes inside `fn`
//   (however deep, across awaits) shares it.
// - Outside a deadline (a test calling the client directly) each call has its own timeout.
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<{ deadline: number }>();

export function runWithDeadline<T>(ms: number, fn: () => T): T {
  return storage.run({ deadline: performance.now() + ms }, fn);
}

/** performance.now() by which the current page must be done with Cronofy; undefined outside one. */
export function pageDeadline(): number | undefined {
  return storage.getStore()?.deadline;
}
