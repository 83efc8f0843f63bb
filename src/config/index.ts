// The one place that reads raw configuration. Everything else receives a frozen Config.
// - Every problem is reported at once, each naming its variable.
// - Empty strings count as unset.
// - Sandbox mode: no CRONOFY_CLIENT_ID and NODE_ENV is not production.
// - Safe defaults: outside sandbox mode SESSION_SECRET is required whatever NODE_ENV says;
//   NODE_ENV=production refuses an http:// APP_BASE_URL unless its host is loopback; TRUST_PROXY
//   takes the proxies' addresses, never a hop count or `true` (a direct client could then pick its
//   own address with X-Forwarded-For); the flow inspector is opt-in in production.
import { DATA_CENTERS, type DataCenter, isDataCenter } from '../cronofy/data-centers';
import { readListenSettings } from '../emulator/settings';
import { parsePushConfig, type PushConfig } from './push-settings';
import { parseRedisSettings } from './redis-settings';
import { isDevelopmentHost, isLoopback } from './hosts';
import type { RedisSettings } from '../store/redis';

/**
 * What the app reads, and no more (RFC 9700 §2.3: the least privilege the client needs): the account,
 * its calendars and their events. An app that writes events adds create_event delete_event.
 */
export const DEFAULT_SCOPE = 'read_account list_calendars read_events';

export interface Config {
  readonly port: number;
  /** Interface to listen on; undefined: every interface (Node's default). */
  readonly host: string | undefined;
  readonly appBaseUrl: string;
  readonly secureCookies: boolean;
  readonly production: boolean;
  readonly sandbox: boolean;
  readonly cronofy: {
    readonly clientId: string;
    readonly clientSecret: string;
    /** CRONOFY_PREVIOUS_CLIENT_SECRETS: still accepted on Cronofy's callbacks while the secret rotates. */
    readonly previousClientSecrets: readonly string[];
    readonly dataCenter: DataCenter;
    readonly appUrl: string | undefined;
    readonly apiUrl: string | undefined;
    readonly scope: string;
    /** Enterprise Connect: what people may be granted (delegated_scope), and whether to ask for unrestricted access too. */
    readonly enterprise: { readonly delegatedScope: string; readonly unrestrictedAccess: boolean };
    /** Longest a page waits for Cronofy, all its calls and retries together (cronofy/deadline.ts); outside a page, one call and its retries. */
    readonly timeoutMs: number;
  };
  /** Which Redis, in which mode (one server, Sentinel, Cluster); undefined only in sandbox mode. */
  readonly redis: RedisSettings | undefined;
  /** How long one Redis command may take before it fails (and the page answers 503). */
  readonly redisCommandTimeoutMs: number;
  readonly sessionSecret: string;
  /** false, or Express `trust proxy` addresses/subnets (`loopback`, `10.0.0.5`, `10.0.0.0/8`). */
  readonly trustProxy: false | string;
  /** The flow inspector (/inspector and its timeline): on in sandbox and development, opt-in in production. */
  readonly inspector: boolean;
  /** How long a connection's read-only answers (calendars, identity, members) are reused; 0: never. */
  readonly cacheSeconds: number;
  readonly emulatorPort: number;
  readonly emulatorHost: string;
  readonly tokenEncryptionKey: Buffer | undefined;
  readonly logLevel: string;
  readonly rateLimits: {
    readonly connectPerMinute: number;
    readonly postPerMinute: number;
    /** Pages that call Cronofy, per session and per minute (per IP: ten times that). */
    readonly cronofyPagesPerMinute: number;
  };
  readonly push: PushConfig;
  /** GET /metrics on its own listener; port undefined: off. */
  readonly metrics: { readonly port: number | undefined; readonly host: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const DEV_SESSION_SECRET = 'development-only-session-secret-change-me';

export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };

  const production = read('NODE_ENV') === 'production';
  const port = parsePort(read('PORT') ?? '3000', 'PORT', problems);
  // Where sandbox mode's emulator listens, read as `npm run emulator` reads it.
  const emulator = readListenSettings(env, problems);

  const appBaseUrl = parseBaseUrl(read('APP_BASE_URL') ?? `http://localhost:${port}`, 'APP_BASE_URL', problems);
  if (production && appBaseUrl.startsWith('http:') && URL.canParse(appBaseUrl) && !isLoopback(new URL(appBaseUrl).hostname)) {
    problems.push(
      `APP_BASE_URL must be https:// when NODE_ENV=production (got "${appBaseUrl}"): over http the session cookie is not Secure and there is no HSTS. Only a loopback host (localhost, 127.x.x.x, [::1]) may use http.`,
    );
  }
  const clientId = read('CRONOFY_CLIENT_ID');
  const clientSecret = read('CRONOFY_CLIENT_SECRET');
  const sandbox = !clientId && !production;
  if (!clientId && production) problems.push('CRONOFY_CLIENT_ID is required when NODE_ENV=production (sandbox mode is for development only)');
  if (clientId && !clientSecret) problems.push('CRONOFY_CLIENT_SECRET is required when CRONOFY_CLIENT_ID is set');
  // M13: outside production the inspector is on and the cookie may go over http. That is fine for a
  // developer's own base URL (localhost, app.test); a base URL others use needs production.
  if (clientId && !production && URL.canParse(appBaseUrl) && !isDevelopmentHost(new URL(appBaseUrl).hostname)) {
    problems.push(
      `NODE_ENV=production is required with real Cronofy credentials when APP_BASE_URL is not a development host (got "${appBaseUrl}"): outside production the flow inspector is on and cookies may go over plain http. For development use http://localhost:${port} (or a name under .localhost or .test).`,
    );
  }

  const dataCenterRaw = (read('CRONOFY_DATA_CENTER') ?? 'us').toLowerCase();
  if (!isDataCenter(dataCenterRaw)) {
    problems.push(`CRONOFY_DATA_CENTER must be one of ${DATA_CENTERS.join(', ')} (got "${dataCenterRaw}")`);
  }
  const appUrl = optionalUrl(read('CRONOFY_APP_URL'), 'CRONOFY_APP_URL', problems);
  const apiUrl = optionalUrl(read('CRONOFY_API_URL'), 'CRONOFY_API_URL', problems);

  const scope = (read('CRONOFY_SCOPE') ?? DEFAULT_SCOPE).split(/\s+/).join(' ');
  if (!/^[a-z_/ ]+$/.test(scope)) problems.push('CRONOFY_SCOPE must be a space-separated list of scope names');

  const delegatedScope = (read('CRONOFY_ENTERPRISE_DELEGATED_SCOPE') ?? DEFAULT_SCOPE).split(/\s+/).join(' ');
  if (!/^[a-z_ ]+$/.test(delegatedScope)) problems.push('CRONOFY_ENTERPRISE_DELEGATED_SCOPE must be a space-separated list of scope names');
  const unrestrictedRaw = read('CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS') ?? 'false';
  if (unrestrictedRaw !== 'true' && unrestrictedRaw !== 'false') problems.push(`CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS must be true or false (got "${unrestrictedRaw}")`);

  const sessionSecret = read('SESSION_SECRET');
  if (!sandbox && (!sessionSecret || sessionSecret.length < 32)) {
    problems.push('SESSION_SECRET is required and must be at least 32 characters outside sandbox mode (with CRONOFY_CLIENT_ID set or NODE_ENV=production): openssl rand -hex 32');
  }

  const redis = parseRedisSettings(read, sandbox, problems);
  const redisCommandTimeoutMs = parseCount(read('REDIS_COMMAND_TIMEOUT_MS') ?? '1000', 'REDIS_COMMAND_TIMEOUT_MS', problems);

  const tokenEncryptionKey = parseKey(read('TOKEN_ENCRYPTION_KEY'), problems);
  const timeoutMs = parseCount(read('CRONOFY_TIMEOUT_MS') ?? '10000', 'CRONOFY_TIMEOUT_MS', problems);
  const connectPerMinute = parseCount(read('RATE_LIMIT_CONNECT_PER_MINUTE') ?? '30', 'RATE_LIMIT_CONNECT_PER_MINUTE', problems);
  const postPerMinute = parseCount(read('RATE_LIMIT_POST_PER_MINUTE') ?? '60', 'RATE_LIMIT_POST_PER_MINUTE', problems);
  const cronofyPagesPerMinute = parseCount(read('RATE_LIMIT_PAGES_PER_MINUTE') ?? '60', 'RATE_LIMIT_PAGES_PER_MINUTE', problems);
  const cacheRaw = read('CRONOFY_CACHE_SECONDS') ?? '30';
  const cacheSeconds = cacheRaw === '0' ? 0 : parseCount(cacheRaw, 'CRONOFY_CACHE_SECONDS', problems);
  const trustProxy = parseTrustProxy(read('TRUST_PROXY'), problems);
  const inspectorRaw = read('INSPECTOR');
  if (inspectorRaw !== undefined && inspectorRaw !== 'true' && inspectorRaw !== 'false') problems.push(`INSPECTOR must be true or false (got "${inspectorRaw}")`);
  const host = read('HOST');
  if (host !== undefined && !/^[A-Za-z0-9.:-]{1,253}$/.test(host)) problems.push(`HOST must be an interface address or host name, e.g. 127.0.0.1 or 0.0.0.0 (got "${host}")`);

  const push = parsePushConfig(read, { sandbox, production, appBaseUrl }, problems);
  const metricsPortRaw = read('METRICS_PORT');
  const metricsPort = metricsPortRaw === undefined ? undefined : parsePort(metricsPortRaw, 'METRICS_PORT', problems);
  if (metricsPort !== undefined && metricsPort === port && port !== 0) problems.push('METRICS_PORT must differ from PORT (metrics have a listener of their own)');

  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    port,
    host,
    appBaseUrl,
    secureCookies: appBaseUrl.startsWith('https:'),
    production,
    sandbox,
    cronofy: Object.freeze({
      clientId: clientId ?? '',
      clientSecret: clientSecret ?? '',
      previousClientSecrets: Object.freeze((read('CRONOFY_PREVIOUS_CLIENT_SECRETS') ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
      dataCenter: dataCenterRaw as DataCenter,
      appUrl,
      apiUrl,
      scope,
      enterprise: Object.freeze({ delegatedScope, unrestrictedAccess: unrestrictedRaw === 'true' }),
      timeoutMs,
    }),
    redis,
    redisCommandTimeoutMs,
    sessionSecret: sessionSecret ?? DEV_SESSION_SECRET,
    trustProxy,
    inspector: inspectorRaw === undefined ? !production : inspectorRaw === 'true',
    cacheSeconds,
    emulatorPort: emulator.port,
    emulatorHost: emulator.host,
    tokenEncryptionKey,
    logLevel: read('LOG_LEVEL') ?? 'info',
    rateLimits: Object.freeze({ connectPerMinute, postPerMinute, cronofyPagesPerMinute }),
    push,
    metrics: Object.freeze({ port: metricsPort, host: read('METRICS_HOST') ?? '127.0.0.1' }),
  });
}

function parsePort(raw: string, name: string, problems: string[]): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`${name} must be a port number (got "${raw}")`);
  return port;
}

function parseCount(raw: string, name: string, problems: string[]): number {
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1) problems.push(`${name} must be a whole number above 0 (got "${raw}")`);
  return count;
}

function parseBaseUrl(raw: string, name: string, problems: string[]): string {
  const url = optionalUrl(raw, name, problems);
  if (url && new URL(url).pathname !== '/') problems.push(`${name} must be an origin without a path (got "${raw}")`);
  return url ?? raw;
}

function optionalUrl(raw: string | undefined, name: string, problems: string[]): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    return url.origin + url.pathname.replace(/\/+$/, '');
  } catch {
    problems.push(`${name} must be an http(s) URL (got "${raw}")`);
    return undefined;
  }
}

function parseKey(raw: string | undefined, problems: string[]): Buffer | undefined {
  if (raw === undefined) return undefined;
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) {
    problems.push('TOKEN_ENCRYPTION_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)');
    return undefined;
  }
  return key;
}

/**
 * Every secret a Cronofy callback (push notification, Enterprise Connect) may be signed with: the
 * client secret, then the previous ones (while a secret rotates, Cronofy signs with every active one).
 */
export const callbackSecrets = (cronofy: Config['cronofy']): readonly string[] => [cronofy.clientSecret, ...cronofy.previousClientSecrets];

// Express's `trust proxy` as addresses only: `loopback`, `10.0.0.5`, `10.0.0.0/8`, comma-separated.
// A hop count or `true` trusts whatever X-Forwarded-For a client that reaches the port directly
// sends, so it could pick its own rate-limit bucket.
function parseTrustProxy(raw: string | undefined, problems: string[]): false | string {
  if (raw === undefined || raw === 'false') return false;
  const parts = raw.split(',').map((part) => part.trim());
  const address = /^(loopback|linklocal|uniquelocal|[0-9.]+(\/\d{1,2})?|[0-9a-fA-F:]+(\/\d{1,3})?)$/;
  if (raw === 'true' || /^\d+$/.test(raw) || !parts.every((part) => address.test(part) && !/^\d+$/.test(part))) {
    problems.push(
      `TRUST_PROXY must list the proxy's addresses (e.g. 10.0.0.5, 10.0.0.0/8 or loopback), not a hop count or true (got "${raw}"): otherwise a client that reaches the port directly picks its own address with X-Forwarded-For`,
    );
    return false;
  }
  return parts.join(', ');
}
