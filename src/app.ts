// createApp: middleware order, routers, 404 and the error handler. No I/O happens on import;
// server.ts (or a test) builds the dependencies and listens.
import path from 'node:path';
import ejs from 'ejs';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config';
import type { AppContext } from './context';
import { type CronofyCall, createCronofyClient, type CronofyClient } from './cronofy/client';
import { DATA_CENTER_NAMES, type DataCenter, hostsFor } from './cronofy/data-centers';
import { createAccessTokens } from './connections/access-tokens';
import { CONNECTION_RETENTION_MS, createTokenStore } from './connections/token-store';
import { applicationKey, type ApplicationIdentity } from './connections/identity';
import { createRevocationQueue } from './revocation/queue';
import { createRevoker, type RevocationEvent } from './revocation/revoker';
import { createRevokesInFlight } from './revocation/in-flight';
import { createStateStore } from './connections/state-store';
import { createPendingPermissions } from './connections/pending-permissions';
import { createInspector } from './inspector/inspector';
import { countTokenCalls } from './metrics/cronofy-client';
import { countFlows } from './metrics/flows';
import { createMetrics, type Metrics } from './metrics/registry';
import { mask } from './inspector/mask';
import { connectRoutes } from './connect/routes';
import { calendarRoutes } from './calendars/routes';
import { accountRoutes } from './account/routes';
import { permissionRoutes } from './permissions/routes';
import { organizationRoutes } from './organization/routes';
import { enterpriseCallbackRoutes } from './enterprise/callback';
import { enterpriseRoutes } from './enterprise/routes';
import { healthRoutes, homeRoutes } from './pages/routes';
import { createPush } from './push';
import { linkingRoutes } from './linking/routes';
import { providerLabel } from './linking/health';
import { inspectorRoutes } from './pages/inspector';
import { createSessionMiddleware, SESSION_IDLE_MS } from './session';
import { takeFlash } from './session/access';
import { sessionHold } from './session/hold';
import { revokeLapsed } from './account/lapsed';
import { createReadCache } from './cache/read-cache';
import { runWithDeadline } from './cronofy/deadline';
import { createQuotaHold, quotaHoldKey } from './cronofy/quota-hold';
import { noticeFrom } from './web/notices';
import type { KeyValueStore } from './store/kv';
import type { RedisClient } from './store/redis';
import { errorHandler, notFound } from './web/error-handler';
import { requestLogger } from './web/logging';
import { type RateLimits, rateLimiters } from './web/rate-limit';
import { csrfProtection, csrfTokenFor, noReferrer, noStore, securityHeaders } from './web/security';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  /** Holds tokens, pending states and locks. */
  kv: KeyValueStore;
  /** Holds sessions; null means express-session's MemoryStore (sandbox without Redis only). */
  redis: RedisClient | null;
  now?: () => number;
  /** Shown on every page in sandbox mode. */
  sandbox?: { emulatorUrl: string; memoryStore: boolean };
  /** Told about every call to Cronofy (method, path, status, time; never tokens). */
  onCronofyCall?: (call: CronofyCall) => void;
  rateLimits?: RateLimits;
  /** Where the app counts what it does (served by server.ts on METRICS_PORT); default: its own. */
  metrics?: Metrics;
  /**
   * The revocation worker: how often it looks (default 5 s), first back-off (5 s), a stop signal,
   * listeners for each revoke settled and each round (queue and lapsed records) done.
   */
  revocation?: { pollMs?: number; retryBaseMs?: number; signal?: AbortSignal; onSettled?: (event: RevocationEvent) => void; onTick?: () => void };
}

export function createApp(deps: AppDependencies): Express {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createMetrics();
  const inspector = createInspector(deps.kv, SESSION_IDLE_MS, now, config.inspector);
  const clients = new Map<DataCenter, CronofyClient>();
  const clientFor = (dataCenter: DataCenter): CronofyClient => {
    let client = clients.get(dataCenter);
    if (!client) {
      const hosts = hostsFor(dataCenter, { appUrl: config.cronofy.appUrl, apiUrl: config.cronofy.apiUrl });
      const created = createCronofyClient({
        hosts,
        clientId: config.cronofy.clientId,
        clientSecret: config.cronofy.clientSecret,
        timeoutMs: config.cronofy.timeoutMs,
        hold: createQuotaHold(deps.kv, quotaHoldKey(dataCenter, hosts.apiUrl, config.cronofy.clientId), now),
        onCall: (call) => {
          // The member sub is personal data: the log says only that a member was impersonated.
          logger.debug({ cronofy: { ...call, impersonating: call.impersonating ? '[member]' : undefined } }, 'cronofy call');
          deps.onCronofyCall?.(call);
          metrics.cronofyCall(call);
          inspector.recordHere('HTTP call to Cronofy', { ...call });
        },
      });
      client = countTokenCalls(created, metrics);
      clients.set(dataCenter, client);
    }
    return client;
  };
  const application: ApplicationIdentity = { clientId: config.cronofy.clientId, appUrl: config.cronofy.appUrl, apiUrl: config.cronofy.apiUrl };
  const namespace = applicationKey(application);
  const tokens = createTokenStore({ kv: deps.kv, namespace, encryptionKey: config.tokenEncryptionKey, now });
  const revoker = createRevoker({
    queue: createRevocationQueue({ kv: deps.kv, namespace, now, encryptionKey: config.tokenEncryptionKey, retryBaseMs: deps.revocation?.retryBaseMs }),
    inFlight: createRevokesInFlight({ kv: deps.kv, namespace, callMs: config.cronofy.timeoutMs }),
    clientFor,
    logger,
    onSettled: deps.revocation?.onSettled,
  });
  const accessTokens = createAccessTokens({
      tokens,
      kv: deps.kv,
      clientFor,
      now,
      giveBack: (connection, target, reason) => revoker.revoke(connection, target, reason),
      onRefresh: (refreshed, previous) =>
        inspector.recordHere('Access token refreshed', {
          connection: refreshed.kind,
          'old refresh_token': mask(previous.refresh_token),
          'new refresh_token': mask(refreshed.refresh_token),
          rotated: refreshed.refresh_token !== previous.refresh_token,
          'new access_token': mask(refreshed.access_token),
          'expires at': new Date(refreshed.expires_at).toISOString(),
        }),
    });
  const cache = createReadCache(deps.kv, config.cacheSeconds * 1000, now, config.tokenEncryptionKey);
  const push = createPush({
    config,
    kv: deps.kv,
    logger,
    clientFor,
    accessTokens,
    now,
    ttlMs: CONNECTION_RETENTION_MS,
    connectionExists: async (id) => (await tokens.get(id)) !== null,
  });
  const ctx: AppContext = {
    config,
    logger,
    kv: deps.kv,
    tokens,
    revoker,
    application,
    accessTokens,
    inspector,
    cache,
    states: createStateStore(deps.kv, now),
    pendingPermissions: createPendingPermissions(deps.kv, now),
    clientFor,
    now,
    redirectUris: {
      oauth: `${config.appBaseUrl}/oauth/callback`,
      permissions: `${config.appBaseUrl}/permissions/callback`,
    },
    push,
  };
  if (!deps.revocation?.signal?.aborted) {
    revoker.start(deps.revocation?.signal ?? new AbortController().signal, {
      pollMs: deps.revocation?.pollMs,
      alsoEachTick: () => revokeLapsed(ctx),
      onTick: deps.revocation?.onTick,
    });
  }
  const cronofyAppOrigin = new URL(clientFor(config.cronofy.dataCenter).hosts.appUrl).origin;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // pages are no-store: hashing them buys nothing
  app.set('trust proxy', config.trustProxy);
  const views = path.join(__dirname, '..', 'views');
  app.set('view engine', 'ejs');
  app.set('views', views);
  // Views include partials by absolute name (include('/partials/head')), which EJS resolves
  // against `root`; a relative name would cost a file-system lookup per include on every render.
  app.engine('ejs', (file, data, done) => ejs.renderFile(file, data as ejs.Data, { root: views, cache: app.enabled('view cache') }, done));
  app.set('query parser', 'simple');

  app.use(requestLogger(logger));
  app.use(securityHeaders({ https: config.secureCookies, cronofyAppOrigin }));
  // Only these paths: mounted at / it would stat public/ on every dynamic request (~10% of CPU).
  const publicDir = path.join(__dirname, '..', 'public');
  app.get('/styles.css', (_req, res) => res.sendFile(path.join(publicDir, 'styles.css'), { maxAge: '1h' }));
  app.get('/live.js', (_req, res) => res.sendFile(path.join(publicDir, 'live.js'), { maxAge: '1h' }));
  app.use('/diagrams', express.static(path.join(publicDir, 'diagrams'), { index: false, maxAge: '1h', fallthrough: true }));
  app.use(noStore);
  app.use(healthRoutes(ctx));
  app.locals.push = push;
  app.use(push.receiver); // Cronofy's deliveries: no session, CSRF or per-IP POST limit
  // Cronofy's server-to-server POST: before rate limits (a batch answers 50 at once), body parsing,
  // sessions and CSRF; it authenticates by its signature and single-use key instead.
  app.use(enterpriseCallbackRoutes(ctx));
  // What every page shows and no request changes is set once; res.locals holds the per-request rest.
  app.locals.sandbox = deps.sandbox;
  app.locals.dataCenter = { code: config.cronofy.dataCenter, name: DATA_CENTER_NAMES[config.cronofy.dataCenter] };
  app.locals.inspectorOn = config.inspector;
  app.locals.providerLabel = providerLabel; // views name providers as people know them (Google, iCloud)
  const limiters = rateLimiters(deps.rateLimits ?? config.rateLimits, deps.redis);
  app.use(['/connect', '/oauth/callback'], limiters.connect);
  app.use(['/oauth/callback', '/permissions/callback'], noReferrer);
  app.use(limiters.post);
  // Bodies are read for POST only: no other route takes one, and an unread slow body costs nothing.
  const forms = express.urlencoded({ extended: false, limit: '10kb', parameterLimit: 200 });
  app.use((req, res, next) => (req.method === 'POST' ? forms(req, res, next) : next()));
  app.use(
    createSessionMiddleware({
      secret: config.sessionSecret,
      secureCookies: config.secureCookies,
      redis: deps.redis,
      now,
      onEnd: (ended) => inspector.forgetTimeline(ended.inspectorId),
    }),
  );
  app.use(sessionHold({ tokens, now }));
  // What the page shows for this request, set in one layer (each layer costs every request): its
  // path (for the navigation), the session's flash message or else a known notice, the CSRF token.
  // Then one budget for everything the page asks of Cronofy, retries included.
  app.use((req, res, next) => {
    res.locals.path = req.path;
    res.locals.flash = takeFlash(req) ?? noticeFrom(req);
    res.locals.csrfToken = () => csrfTokenFor(req);
    runWithDeadline(config.cronofy.timeoutMs, next);
  });
  app.use(['/calendars', '/permissions', '/organization', '/enterprise'], limiters.cronofyPages);
  // Off (production's default), the inspector records nothing: no AsyncLocalStorage to enter.
  if (inspector.enabled) app.use(inspector.middleware);
  app.use(csrfProtection(new URL(config.appBaseUrl).origin));

  app.use(countFlows(metrics));
  app.use(homeRoutes(ctx));
  app.use(connectRoutes(ctx));
  app.use(push.live);
  app.use(calendarRoutes(ctx));
  app.use(linkingRoutes(ctx));
  app.use(permissionRoutes(ctx));
  app.use(organizationRoutes(ctx));
  app.use(enterpriseRoutes(ctx));
  app.use(accountRoutes(ctx));
  app.use(inspectorRoutes(inspector));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
