// Issue 14: an anonymous visitor costs the store nothing. Every GET a visitor without a session can
// make (home, the pages that need a connection, 404s, error pages, the inspector) writes no session
// and no other key; the "connect first" notices still show. A Redis server of the test's own, so
// DBSIZE counts only this app's keys.
import request from 'supertest';
import { type Harness, startHarness } from '../support/harness';
import { type OwnRedis, startOwnRedis } from '../support/redis-server';

let redis: OwnRedis;
let h: Harness;
beforeAll(async () => {
  redis = await startOwnRedis();
  h = await startHarness({ redisUrl: redis.url });
});
afterAll(async () => {
  await h.close();
  await redis.stop();
});

const PATHS = [
  '/',
  '/calendars',
  '/permissions',
  '/organization',
  '/organization/find?email=someone%40example.com',
  '/organization/members/acc_123',
  '/permissions/callback?error=access_denied',
  '/inspector',
  '/nope',
  '/?notice=connect-calendar',
];

describe('anonymous visitors', () => {
  it('M9: 1,000 anonymous GETs add no key to Redis and set no cookie', async () => {
    const before = await h.redis.dbsize();
    const statuses = new Set<number>();
    for (let batch = 0; batch < 100; batch++) {
      const answers = await Promise.all(PATHS.map((path) => request(h.app).get(path)));
      for (const res of answers) {
        statuses.add(res.status);
        expect(res.headers['set-cookie']).toBeUndefined();
      }
    }
    expect([...statuses].sort()).toEqual([200, 302, 400, 404]);
    expect(await h.redis.dbsize()).toBe(before);
  }, 180_000);

  it.each([
    ['/calendars', 'Connect a calendar first'],
    ['/permissions', 'Connect a calendar first: extended permissions'],
    ['/organization', 'Connect an organization first'],
  ])('GET %s without a connection goes home with a notice, without a session', async (path, notice) => {
    const res = await request(h.app).get(path).expect(302);
    expect(res.headers['set-cookie']).toBeUndefined();
    const home = await request(h.app).get(res.headers.location as string).expect(200);
    expect(home.text).toContain(notice);
  });

  it('shows only the notices it knows', async () => {
    const home = await request(h.app).get('/?notice=%3Cscript%3E').expect(200);
    expect(home.text).not.toContain('<script>');
    expect(home.text).not.toContain('class="flash');
  });
});
