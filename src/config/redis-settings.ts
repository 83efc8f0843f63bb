// Where Redis is (part of Config; see README "Redis: one server, Sentinel or Cluster"):
// - exactly one mode: REDIS_URL (one server, redis:// or rediss:// for TLS), REDIS_SENTINELS
//   (host:port,...) with REDIS_SENTINEL_NAME (and optionally REDIS_SENTINEL_PASSWORD), or
//   REDIS_CLUSTER_NODES (host:port,...: any of the cluster's nodes; the rest are discovered);
// - REDIS_USERNAME / REDIS_PASSWORD authenticate to the Redis servers in every mode (a password
//   inside REDIS_URL as well is refused: two sources of one secret);
// - TLS: rediss:// for one server; REDIS_TLS=true for Sentinel (the sentinels and the servers) and
//   Cluster (every node); REDIS_TLS_CA_FILE names the CA that signed the servers' certificates when
//   it is not one Node trusts already. Certificates are always verified: there is no switch to stop it;
// - none: required outside sandbox mode; the sandbox then uses 127.0.0.1:6379 if it answers.
// Messages never repeat a password or REDIS_URL (which may hold one).

import { readFileSync } from 'node:fs';
import type { RedisEndpoint, RedisSettings, RedisTls } from '../store/redis';

/** What every mode shares: credentials for the servers, and TLS. */
interface RedisCommon {
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: RedisTls | undefined;
}

export function parseRedisSettings(read: (name: string) => string | undefined, sandbox: boolean, problems: string[]): RedisSettings | undefined {
  const url = read('REDIS_URL');
  const sentinels = read('REDIS_SENTINELS');
  const clusterNodes = read('REDIS_CLUSTER_NODES');
  const name = read('REDIS_SENTINEL_NAME');
  const sentinelPassword = read('REDIS_SENTINEL_PASSWORD');
  const tlsFlag = read('REDIS_TLS');
  const caFile = read('REDIS_TLS_CA_FILE');

  const chosen = [url && 'REDIS_URL', sentinels && 'REDIS_SENTINELS', clusterNodes && 'REDIS_CLUSTER_NODES'].filter(Boolean);
  if (chosen.length > 1) {
    problems.push(`Set exactly one of REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES (got ${chosen.join(' and ')})`);
    return undefined;
  }
  if (!sentinels && name) problems.push('REDIS_SENTINEL_NAME is set but REDIS_SENTINELS is not: list the sentinels as host:port,host:port');
  if (!sentinels && sentinelPassword) problems.push('REDIS_SENTINEL_PASSWORD is set but REDIS_SENTINELS is not');
  if (tlsFlag !== undefined && tlsFlag !== 'true' && tlsFlag !== 'false') problems.push(`REDIS_TLS must be true or false (got "${tlsFlag}")`);
  if (url && tlsFlag === 'true') problems.push('REDIS_TLS is for REDIS_SENTINELS and REDIS_CLUSTER_NODES: with REDIS_URL, write rediss:// for TLS');
  const tlsOn = url ? url.startsWith('rediss://') : tlsFlag === 'true';
  if (caFile && !tlsOn) problems.push('REDIS_TLS_CA_FILE is set but TLS is off: use rediss:// in REDIS_URL, or REDIS_TLS=true');
  const common: RedisCommon = { username: read('REDIS_USERNAME'), password: read('REDIS_PASSWORD'), tls: tlsOn ? readTls(caFile, problems) : undefined };
  if (common.username && !common.password) problems.push('REDIS_USERNAME needs REDIS_PASSWORD (Redis ACL users authenticate with both)');

  if (url) {
    if (!/^rediss?:\/\//.test(url)) {
      problems.push('REDIS_URL must start with redis:// or rediss://');
      return undefined;
    }
    if (common.password && URL.canParse(url) && new URL(url).password) {
      problems.push('REDIS_URL holds a password and REDIS_PASSWORD is set too: keep the password in one of them');
    }
    return Object.freeze({ mode: 'single', url, ...common });
  }
  if (sentinels) {
    const endpoints = parseEndpoints(sentinels, 'REDIS_SENTINELS', problems);
    if (!name) problems.push('REDIS_SENTINEL_NAME is required with REDIS_SENTINELS: the name the sentinels monitor the primary under (`sentinel monitor <name> ...`)');
    return Object.freeze({ mode: 'sentinel', sentinels: endpoints, name: name ?? '', sentinelPassword, ...common });
  }
  if (clusterNodes) {
    return Object.freeze({ mode: 'cluster', nodes: parseEndpoints(clusterNodes, 'REDIS_CLUSTER_NODES', problems), ...common });
  }
  if (!sandbox) problems.push('Redis is required outside sandbox mode: set REDIS_URL, REDIS_SENTINELS with REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES');
  return undefined;
}

/** TLS with Node's trusted CAs, or with the CA in `caFile` (PEM) instead. */
function readTls(caFile: string | undefined, problems: string[]): RedisTls {
  if (!caFile) return Object.freeze({});
  try {
    const ca = readFileSync(caFile, 'utf8');
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) problems.push(`REDIS_TLS_CA_FILE ${caFile} holds no PEM certificate`);
    return Object.freeze({ ca });
  } catch (err) {
    problems.push(`REDIS_TLS_CA_FILE ${caFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return Object.freeze({});
  }
}

/** `host:port,host:port`; IPv6 hosts in brackets (`[::1]:26379`). */
function parseEndpoints(raw: string, name: string, problems: string[]): readonly RedisEndpoint[] {
  const endpoints: RedisEndpoint[] = [];
  for (const part of raw.split(',').map((p) => p.trim())) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/.exec(part);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      problems.push(`${name} must be a comma-separated list of host:port (got "${part}")`);
      continue;
    }
    endpoints.push(Object.freeze({ host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port }));
  }
  return Object.freeze(endpoints);
}
