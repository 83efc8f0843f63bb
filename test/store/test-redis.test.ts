// The tests' own Redis: used when it answers, started when nothing answers and REDIS_URL is unset.
import Redis from 'ioredis';
import { ensureTestRedis } from '../support/test-redis';
import { freePort } from '../support/ports';

describe('ensureTestRedis (test set-up)', () => {
  it('uses REDIS_URL when it answers, and starts nothing', async () => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    expect(await ensureTestRedis({ REDIS_URL: url })).toEqual({ url });
  });

  it('starts a redis-server of its own when REDIS_URL is unset and nothing answers on the default', async () => {
    const silent = `redis://127.0.0.1:${await freePort()}`;
    const found = await ensureTestRedis({}, silent);
    try {
      expect(found.url).not.toBe(silent);
      expect(found.own?.reason).toContain(`No Redis at ${silent}`);
      const client = new Redis(found.url);
      expect(await client.ping()).toBe('PONG');
      client.disconnect();
    } finally {
      await found.own?.redis.stop();
    }
  });

  it('fails, saying what to do, when an explicit REDIS_URL does not answer', async () => {
    const silent = `redis://127.0.0.1:${await freePort()}`;
    await expect(ensureTestRedis({ REDIS_URL: silent })).rejects.toThrow(/need a real Redis at redis:\/\/127\.0\.0\.1:\d+, and it did not answer \(.*ECONNREFUSED.*\)\. Start it, or unset REDIS_URL/);
  });
});
