// A local Cronofy: the "app" role (consent and approval pages) and the "api" role (/oauth/token*,
// /v1/*) on one origin. It imports nothing from the rest of src/; the app uses only startEmulator.
// Endpoint table (see docs/emulator.md):
//   GET|POST /oauth/authorize             consent page, redirect with code or error    authorize.ts
//                                         (implicit account linking by cookie          linking.ts)
//   POST     /oauth/token                 authorization_code and refresh_token grants  token.ts
//   POST     /oauth/token/revoke          revoke by token or sub                       token.ts
//   GET      /v1/userinfo /v1/account /v1/profiles /v1/calendars                        api.ts
//   GET      /v1/organizational_unit_members                                            api.ts
//   GET      /v1/events  /v1/events/pages/:id                                           events.ts
//   POST|DELETE /v1/calendars/:calendar_id/events                                      events.ts
//   POST     /v1/permissions, GET|POST /permissions/requests/:id (approval page)        permissions.ts
//   POST|GET /v1/channels  DELETE /v1/channels/:id  (+ signed deliveries, notify.ts)  channels.ts
//   POST     /v1/link_tokens                                                            link-tokens.ts
//   GET|POST /relink/:profile_id          the relink page of a disconnected profile    profiles.ts
//   GET|POST /playground*                 sandbox demo: change a calendar, disconnect   playground.ts
//   GET|POST /enterprise_connect/oauth/authorize, POST /v1/service_account_authorizations,
//            signed callbacks to callback_url                                   enterprise.ts, callbacks.ts
//   /__emulator/*                        test control, only with controlApi             control.ts
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { apiRoutes } from './api';
import { channelRoutes, createChannels } from './channels';
import { createLinkTokens, linkTokenRoutes } from './link-tokens';
import { createNotifier } from './notify';
import { createProfileHealth, relinkRoutes } from './profiles';
import { playgroundRoutes } from './playground';
import { createPushControl, pushControlRoutes } from './push-control';
import { authorizeRoutes } from './authorize';
import { bearer } from './bearer';
import type { EmulatorContext } from './context';
import { createCallbacks } from './callbacks';
import { controlRoutes, createControl, rateLimiter } from './control';
import { enterpriseRoutes } from './enterprise';
import { eventRoutes } from './events';
import { permissionRoutes } from './permissions';
import { seedWorld } from './seed';
import { createState } from './state';
import { tokenRoutes } from './token';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, type EmulatorControl, type EmulatorOptions, type RunningEmulator } from './types';

export { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from './types';
export type { EmulatorControl, EmulatorOptions, FaultOptions, HeldRequest, HoldAnswer, PushDelivery, RecordedRequest, RunningEmulator, SentCallback } from './types';

const DEFAULT_RATE_LIMIT = { perSecond: 50, perMinute: 500 };

function buildApp(options: EmulatorOptions, publicUrl: () => string) {
  const log = options.log ?? (() => undefined);
  const state = createState(seedWorld(), {
    accessTokenTtl: options.accessTokenTtl ?? 3600,
    serviceAccountTokenTtl: options.serviceAccountTokenTtl ?? 1800,
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    relinkRefreshToken: options.relinkRefreshToken ?? 'same',
    now: options.now,
  });
  const callbacks = createCallbacks({ clientSecret: options.clientSecret ?? SANDBOX_CLIENT_SECRET, deliver: options.deliverCallbacks ?? true, log });
  const { control: baseControl, recorder, parker, injector, heldRequest, permissionsUrl } = createControl(state, callbacks);
  const clientSecret = options.clientSecret ?? SANDBOX_CLIENT_SECRET;
  const notifier = createNotifier({ secrets: () => [clientSecret, ...(options.rotatingClientSecrets ?? [])], retryDelaysMs: options.pushRetryDelaysMs, log });
  const ctx: EmulatorContext = {
    state,
    clientId: options.clientId ?? SANDBOX_CLIENT_ID,
    clientSecret,
    internalApplicationKey: options.internalApplicationKey,
    redirectUris: options.redirectUris ?? [],
    get publicUrl() {
      return publicUrl();
    },
    applicationName: options.clientId === undefined || options.clientId === SANDBOX_CLIENT_ID ? 'Cronofy Connect demo' : options.clientId,
    pageSize: options.pageSize ?? 10,
    memberPageSize: options.memberPageSize ?? 100,
    permissionsUrlOverride: permissionsUrl,
    channels: createChannels(notifier, options.now),
    profiles: createProfileHealth(),
    linkTokens: createLinkTokens(state.world, options.now),
  };
  const pushControl = createPushControl(ctx, notifier);
  const control: EmulatorControl = {
    ...baseControl,
    ...pushControl,
    reset: () => {
      baseControl.reset();
      pushControl.reset();
    },
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('view engine', 'ejs');
  app.set('views', path.join(__dirname, 'views'));
  app.set('view options', { rmWhitespace: true });
  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    next();
  });
  app.get('/__assets/emulator.css', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').sendFile(path.join(__dirname, 'assets', 'emulator.css'));
  });
  if (options.controlApi) app.use(controlRoutes(control, heldRequest), pushControlRoutes(control));

  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  app.use(recorder);
  if (options.rateLimit !== false) app.use(['/oauth/token', '/v1'], rateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, options.now));
  app.use(parker);
  app.use(injector);

  app.get('/', (_req, res) => {
    res.render('message', {
      heading: 'The Cronofy emulator is running',
      text: 'Nothing to see here: applications send people to /oauth/authorize and call /oauth/token and /v1/*. See docs/emulator.md.',
    });
  });
  app.use(authorizeRoutes(ctx));
  app.use(tokenRoutes(ctx));
  app.use('/v1', bearer(ctx));
  app.use(apiRoutes(ctx));
  app.use(eventRoutes(ctx));
  app.use(permissionRoutes(ctx));
  app.use(channelRoutes(ctx), linkTokenRoutes(ctx), relinkRoutes(ctx));
  if (options.playground) app.use(playgroundRoutes(ctx, control));
  app.use(enterpriseRoutes(ctx, callbacks));

  app.use((req: Request, res: Response) => {
    if (req.path.startsWith('/v1/') || req.path.startsWith('/oauth/')) return void res.status(404).json({ error: 'not_found' });
    res.status(404).render('message', { heading: 'Not found', text: 'The emulator has no page here.' });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const type = typeof err === 'object' && err !== null && 'type' in err ? err.type : undefined;
    if (type === 'entity.parse.failed') {
      return void (req.path.startsWith('/v1/')
        ? res.status(422).json({ errors: { body: [{ key: 'errors.invalid_json', description: 'the body is not valid JSON' }] } })
        : res.status(400).json({ error: 'invalid_request', error_description: 'the body could not be parsed' }));
    }
    if (type === 'entity.too.large') return void res.status(413).json({ error: 'request_too_large' });
    log(`emulator: ${req.method} ${req.path} failed: ${err instanceof Error ? err.message : String(err)}`);
    res.status(500).json({ error: 'server_error' });
  });
  return { app, control, closeNotifier: () => notifier.close() };
}

/** Starts the emulator; resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  let url = '';
  const { app, control, closeNotifier } = buildApp(options, () => url);
  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  url = (options.publicUrl ?? `http://localhost:${port}`).replace(/\/+$/, '');
  return {
    url,
    control,
    close: () =>
      new Promise<void>((resolve, reject) => {
        closeNotifier();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
