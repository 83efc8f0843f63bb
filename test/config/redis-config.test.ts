// Which Redis, in which mode: exactly one of REDIS_URL, REDIS_SENTINELS (+ REDIS_SENTINEL_NAME),
// REDIS_CLUSTER_NODES; REDIS_USERNAME / REDIS_PASSWORD for every mode; every problem named at once,
// TLS (rediss://, REDIS_TLS, REDIS_TLS_CA_FILE); and no message repeats a password.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { problemsOf, REAL_CREDENTIALS } from '../support/config-env';
import { describeRedis } from '../../src/store/redis';

const real = REAL_CREDENTIALS;

describe('Redis configuration', () => {
  it('one server: REDIS_URL, redis:// or rediss://', () => {
    expect(loadConfig({ ...real, REDIS_URL: 'rediss://cache.example.com:6380' }).redis).toEqual({
      mode: 'single',
      url: 'rediss://cache.example.com:6380',
      username: undefined,
      password: undefined,
      tls: {},
    });
  });

  it('Sentinel: REDIS_SENTINELS and REDIS_SENTINEL_NAME, with an optional REDIS_SENTINEL_PASSWORD', () => {
    const config = loadConfig({
      ...real,
      REDIS_SENTINELS: 'sentinel-a:26379, 10.0.0.7:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      REDIS_USERNAME: 'app',
      REDIS_PASSWORD: 'redis-secret',
    });
    expect(config.redis).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 'sentinel-a', port: 26379 },
        { host: '10.0.0.7', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      sentinelPassword: 'sentinel-secret',
      username: 'app',
      password: 'redis-secret',
    });
  });

  it('Cluster: REDIS_CLUSTER_NODES, with REDIS_PASSWORD', () => {
    expect(loadConfig({ ...real, REDIS_CLUSTER_NODES: 'node-1:6379,node-2:6379', REDIS_PASSWORD: 'p' }).redis).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'node-1', port: 6379 },
        { host: 'node-2', port: 6379 },
      ],
      username: undefined,
      password: 'p',
    });
  });

  it('refuses two modes at once, naming both', () => {
    expect(problemsOf({ ...real, REDIS_URL: 'redis://x', REDIS_CLUSTER_NODES: 'a:1' })).toEqual([
      'Set exactly one of REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES (got REDIS_URL and REDIS_CLUSTER_NODES)',
    ]);
  });

  it('needs the sentinel name with the sentinels, and the sentinels with the name or password', () => {
    expect(problemsOf({ ...real, REDIS_SENTINELS: 'a:26379' })).toEqual([
      'REDIS_SENTINEL_NAME is required with REDIS_SENTINELS: the name the sentinels monitor the primary under (`sentinel monitor <name> ...`)',
    ]);
    expect(problemsOf({ ...real, REDIS_URL: 'redis://x', REDIS_SENTINEL_NAME: 'm', REDIS_SENTINEL_PASSWORD: 's' })).toEqual([
      'REDIS_SENTINEL_NAME is set but REDIS_SENTINELS is not: list the sentinels as host:port,host:port',
      'REDIS_SENTINEL_PASSWORD is set but REDIS_SENTINELS is not',
    ]);
  });

  it('reports each malformed host:port, all at once', () => {
    expect(problemsOf({ ...real, REDIS_CLUSTER_NODES: 'node-1,node-2:99999,node-3:7000,redis://node-4:7000' })).toEqual([
      'REDIS_CLUSTER_NODES must be a comma-separated list of host:port (got "node-1")',
      'REDIS_CLUSTER_NODES must be a comma-separated list of host:port (got "node-2:99999")',
      'REDIS_CLUSTER_NODES must be a comma-separated list of host:port (got "redis://node-4:7000")',
    ]);
  });

  it('refuses a password in two places, and a username without a password, without repeating the password', () => {
    const problems = problemsOf({ ...real, REDIS_URL: 'redis://:hunter2@cache:6379', REDIS_PASSWORD: 'other', REDIS_USERNAME: 'app' });
    expect(problems).toEqual(['REDIS_URL holds a password and REDIS_PASSWORD is set too: keep the password in one of them']);
    expect(problemsOf({ ...real, REDIS_URL: 'redis://cache:6379', REDIS_USERNAME: 'app' })).toEqual([
      'REDIS_USERNAME needs REDIS_PASSWORD (Redis ACL users authenticate with both)',
    ]);
    expect(problems.join('\n')).not.toMatch(/hunter2|other/);
  });

  it('needs one of the modes outside sandbox mode, and none in sandbox mode', () => {
    expect(problemsOf(real)).toEqual([
      'Redis is required outside sandbox mode: set REDIS_URL, REDIS_SENTINELS with REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES',
    ]);
    expect(loadConfig({}).redis).toBeUndefined();
  });

  describe('TLS', () => {
    let dir: string;
    let caFile: string;
    const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'cc-config-tls-'));
      caFile = path.join(dir, 'ca.pem');
      writeFileSync(caFile, PEM);
      writeFileSync(path.join(dir, 'not-a-cert.txt'), 'hello');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('one server: rediss:// turns it on; REDIS_TLS_CA_FILE gives the CA to verify the server against', () => {
      expect(loadConfig({ ...real, REDIS_URL: 'rediss://cache:6380' }).redis?.tls).toEqual({});
      expect(loadConfig({ ...real, REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA_FILE: caFile }).redis?.tls).toEqual({ ca: PEM });
      expect(loadConfig({ ...real, REDIS_URL: 'redis://cache:6379' }).redis?.tls).toBeUndefined();
    });

    it('Sentinel and Cluster: REDIS_TLS=true, for every node (and the sentinels)', () => {
      const sentinel = { REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'm' };
      expect(loadConfig({ ...real, ...sentinel, REDIS_TLS: 'true', REDIS_TLS_CA_FILE: caFile }).redis?.tls).toEqual({ ca: PEM });
      expect(loadConfig({ ...real, REDIS_CLUSTER_NODES: 'n1:7000', REDIS_TLS: 'true' }).redis?.tls).toEqual({});
      expect(loadConfig({ ...real, REDIS_CLUSTER_NODES: 'n1:7000', REDIS_TLS: 'false' }).redis?.tls).toBeUndefined();
    });

    it('refuses what would silently leave TLS off or unverifiable, naming each problem', () => {
      expect(problemsOf({ ...real, REDIS_URL: 'redis://cache:6379', REDIS_TLS: 'true' })).toEqual([
        'REDIS_TLS is for REDIS_SENTINELS and REDIS_CLUSTER_NODES: with REDIS_URL, write rediss:// for TLS',
      ]);
      expect(problemsOf({ ...real, REDIS_CLUSTER_NODES: 'n1:7000', REDIS_TLS: 'yes' })).toEqual(['REDIS_TLS must be true or false (got "yes")']);
      expect(problemsOf({ ...real, REDIS_CLUSTER_NODES: 'n1:7000', REDIS_TLS_CA_FILE: caFile })).toEqual([
        'REDIS_TLS_CA_FILE is set but TLS is off: use rediss:// in REDIS_URL, or REDIS_TLS=true',
      ]);
      const missing = path.join(dir, 'missing.pem');
      expect(problemsOf({ ...real, REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA_FILE: missing })).toEqual([
        `REDIS_TLS_CA_FILE ${missing} cannot be read (ENOENT)`,
      ]);
      const notCert = path.join(dir, 'not-a-cert.txt');
      expect(problemsOf({ ...real, REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA_FILE: notCert })).toEqual([
        `REDIS_TLS_CA_FILE ${notCert} holds no PEM certificate`,
      ]);
    });

    it('is named in the start-up line', () => {
      expect(describeRedis(loadConfig({ ...real, REDIS_URL: 'rediss://cache:6380' }).redis!)).toBe('one server at cache:6380 over TLS');
      expect(describeRedis(loadConfig({ ...real, REDIS_CLUSTER_NODES: 'n1:7000', REDIS_TLS: 'true', REDIS_TLS_CA_FILE: caFile }).redis!)).toBe(
        'Cluster via n1:7000 over TLS (REDIS_TLS_CA_FILE)',
      );
    });
  });

  it('is logged at start-up by mode and addresses, never with a password', () => {
    const line = (env: Record<string, string>) => describeRedis(loadConfig({ ...real, ...env }).redis!);
    expect(line({ REDIS_URL: 'redis://:hunter2@cache.internal:6379/0' })).toBe('one server at cache.internal:6379');
    expect(line({ REDIS_SENTINELS: 'a:26379,[::1]:26380', REDIS_SENTINEL_NAME: 'mymaster', REDIS_SENTINEL_PASSWORD: 'hunter2' })).toBe(
      'Sentinel "mymaster" via a:26379, [::1]:26380',
    );
    expect(line({ REDIS_CLUSTER_NODES: 'n1:7000,n2:7000', REDIS_PASSWORD: 'hunter2' })).toBe('Cluster via n1:7000, n2:7000');
  });
});
