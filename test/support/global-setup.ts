import Redis from 'ioredis';

// Tests run against a real Redis; there is no fallback. Fail the run early with a clear message.
export default async function globalSetup(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(
      `The tests need a real Redis at ${url} (set REDIS_URL to use another). It did not answer: ${(err as Error).message}`,
    );
  } finally {
    redis.disconnect();
  }
}
