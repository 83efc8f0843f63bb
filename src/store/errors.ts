// The one error a store raises when Redis fails (down, timed out, connection closed, ...). Every
// store boundary (the key-value store, the session store, the rate-limit counters) wraps whatever
// the Redis client threw in it, so the rest of the app decides by type, never by message.

export class StorageError extends Error {
  readonly code = 'storage_unavailable';

  constructor(
    /** What was being done, e.g. "kv.take" or "session.save". */
    readonly operation: string,
    cause: unknown,
  ) {
    super(`Storage unavailable during ${operation}`, { cause });
    this.name = 'StorageError';
  }
}

/** Runs `work`; any failure comes out as a StorageError for `operation`. */
export async function guarded<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof StorageError ? err : new StorageError(operation, err);
  }
}
