// Issue 14: TRUST_PROXY names the proxy's address, so X-Forwarded-For counts only when the proxy
// sent it. A client reaching the port directly (here: from 127.0.0.1, not the proxy) cannot pick
// a fresh rate-limit bucket by spoofing the header; the proxy itself can name its clients.
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { type Harness, startHarness } from '../support/harness';

const limits = () => ({ connectPerMinute: 3, postPerMinute: 100, prefix: `rl-proxy-${randomBytes(4).toString('hex')}:` });

async function statusesWithSpoofedAddresses(h: Harness): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await request(h.app).get('/connect/individual').set('X-Forwarded-For', `203.0.113.${i + 1}`);
    statuses.push(res.status);
  }
  return statuses;
}

describe('TRUST_PROXY', () => {
  it("M12: ignores a spoofed X-Forwarded-For from a client that is not the proxy: it keeps its bucket", async () => {
    const h = await startHarness({ env: { TRUST_PROXY: '10.9.9.9' }, rateLimits: limits() });
    try {
      expect(await statusesWithSpoofedAddresses(h)).toEqual([302, 302, 302, 429, 429]);
    } finally {
      await h.close();
    }
  });

  it('believes X-Forwarded-For from the configured proxy (loopback here): each client has its own bucket', async () => {
    const h = await startHarness({ env: { TRUST_PROXY: 'loopback' }, rateLimits: limits() });
    try {
      expect(await statusesWithSpoofedAddresses(h)).toEqual([302, 302, 302, 302, 302]);
    } finally {
      await h.close();
    }
  });
});
