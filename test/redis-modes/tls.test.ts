// Redis over TLS with a private CA (REDIS_TLS, REDIS_TLS_CA_FILE; rediss:// for one server): a
// Cluster and a Sentinel group of the test's own that speak TLS only (no plain port; replication,
// the cluster bus and the sentinels too), certificates from test/support/tls-certs.ts. The app
// connects, refreshes across two instances and disconnects over them; a server whose certificate
// the configured CA did not sign is refused.
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { connectRedis, closeRedis, oneServer, readyWithin } from '../../src/store/redis';
import { type Harness, connectThrough, csrfTokenFrom, startHarness } from '../support/harness';
import { type RedisCluster, type SentinelGroup, startCluster, startSentinelGroup } from '../support/redis-topologies';
import { sessionCookie, storedConnection, tokensExist } from '../support/stored';
import { makeCertificates, type TestCertificates } from '../support/tls-certs';
import { REAL_CREDENTIALS } from '../support/config-env';
import { TWO_HOURS } from './core-suite';

let certs: TestCertificates;
let otherCerts: TestCertificates;
let cluster: RedisCluster;
let group: SentinelGroup;

beforeAll(async () => {
  certs = makeCertificates();
  otherCerts = makeCertificates();
  [cluster, group] = await Promise.all([startCluster(3, { tls: certs, persist: false }), startSentinelGroup({ tls: certs, persist: false })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([cluster?.stop(), group?.stop()]);
  certs?.remove();
  otherCerts?.remove();
});

/** Connect, a refresh shared by two instances, and disconnect, all over TLS. */
async function connectRefreshDisconnect(h: Harness, clock: { now: number }) {
  const agent = h.agent();
  const cookie = sessionCookie(await connectThrough(agent, { separateAccount: true }));
  expect((await agent.get('/calendars').expect(200)).text).toContain('Calendars');
  const before = (await storedConnection(h, cookie))!;

  const other = h.secondInstance();
  await h.ready();
  h.emulator.control.clearRequests();
  clock.now += TWO_HOURS;
  const pages = await Promise.all(Array.from({ length: 6 }, (_, i) => request(i % 2 ? other : h.app).get('/calendars').set('Cookie', cookie)));
  expect(pages.map((r) => r.status)).toEqual(Array(6).fill(200));
  const refreshes = h.emulator.control.requests().filter((r) => r.path === '/oauth/token');
  expect(refreshes).toEqual([expect.objectContaining({ status: 200, body: expect.objectContaining({ refresh_token: before.refresh_token }) })]);
  expect((await storedConnection(h, cookie))!.refresh_token).not.toBe(before.refresh_token);

  await agent.post('/disconnect').type('form').send({ _csrf: await csrfTokenFrom(agent, '/') }).expect(302);
  expect(await tokensExist(h, before.id)).toBe(false);
}

describe('Redis over TLS with a private CA', () => {
  it.each([
    ['Cluster (REDIS_CLUSTER_NODES, REDIS_TLS=true): every node over TLS', () => cluster.env],
    ['Sentinel (REDIS_SENTINELS, REDIS_TLS=true): the sentinels and the primary over TLS', () => group.env],
  ])('%s: connect, one refresh across two instances, disconnect', async (_mode, env) => {
    expect(env()).toMatchObject({ REDIS_TLS: 'true', REDIS_TLS_CA_FILE: certs.ca });
    const clock = { now: Date.now() };
    const h = await startHarness({ redisEnv: env(), now: () => clock.now });
    try {
      await connectRefreshDisconnect(h, clock);
    } finally {
      await h.close();
    }
  });

  it('one server (rediss:// and REDIS_TLS_CA_FILE) answers; without the CA, or with another, the connection is refused', async () => {
    const node = cluster.primaries[0]!;
    const settings = (env: Record<string, string>) => loadConfig({ ...REAL_CREDENTIALS, REDIS_URL: `rediss://${node.address}`, ...env }).redis!;
    const attempt = async (redisSettings: ReturnType<typeof settings>) => {
      const client = connectRedis(redisSettings, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
      const errors: string[] = [];
      client.on('error', (err: NodeJS.ErrnoException) => errors.push(err.code ?? err.message));
      try {
        await readyWithin(client, 5000);
        return { pong: await client.ping(), errors };
      } catch {
        return { pong: null, errors };
      } finally {
        await closeRedis(client);
      }
    };
    expect(await attempt(settings({ REDIS_TLS_CA_FILE: certs.ca }))).toEqual({ pong: 'PONG', errors: [] });
    // Node's own CAs did not sign it, nor did the other test CA: verification fails before any command.
    expect(await attempt(settings({}))).toEqual({ pong: null, errors: [expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/)] });
    expect(await attempt(settings({ REDIS_TLS_CA_FILE: otherCerts.ca }))).toEqual({ pong: null, errors: [expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/)] });
    // A plain connection to a TLS-only port gets nowhere either.
    expect((await attempt(oneServer(`redis://${node.address}`))).pong).toBeNull();
  });
});
