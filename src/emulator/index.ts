// A local Cronofy: the "app" role (consent and approval pages) and the "api" role (/oauth/token*,
// /v1/*) on one origin. It imports nothing from the rest of src/; the app uses only startEmulator.
// Every endpoint is in one table, endpoints.ts (docs/emulator.md lists the same).
// A request passes: security headers → the test control (controlApi) → body parsers → the recorder
// → the rate limit (/oauth/token*, /v1/*) → holds → faults → Bearer tokens (/v1/*) → its handler.
// Handlers fail by throwing (errors.ts); one error middleware answers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { bearer, internalApplicationGrant } from './bearer';
import { createCallbacks } from './callbacks';
import { createChannels } from './channels';
import type { EmulatorContext, EmulatorMemory, EmulatorSettings } from './context';
import { createControl, createRateLimiter, createRecorder, describe } from './control';
import { routesFor } from './endpoints';
import { errorHandler, notServed } from './errors';
import { createEventPages } from './events';
import { createFaults } from './faults';
import { createHolds } from './holds';
import { createLinkTokens } from './link-tokens';
import { createNotifier, type Notifier } from './notify';
import { createProfileHealth } from './profiles';
import { rememberWorld, seedWorld, type World } from './seed';
import { createState, type StateSettings } from './state';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, type EmulatorOptions, type RunningEmulator } from './types';

export { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from './types';
export type { Answer, EmulatorControl, EmulatorOptions, FaultOptions, HeldRequest, PushDelivery, RecordedRequest, RunningEmulator, SentCallback } from './types';

const DEFAULT_RATE_LIMIT = { perSecond: 50, perMinute: 500 };

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** Everything the emulator remembers, as it is at start (and again after each reset). */
function freshMemory(world: World, stateSettings: StateSettings, notifier: Notifier, now: () => number): EmulatorMemory {
  return {
    state: createState(world, stateSettings),
    eventPages: createEventPages(),
    channels: createChannels(notifier, now),
    profiles: createProfileHealth(),
    linkTokens: createLinkTokens(world, now),
    overrides: { permissionsUrl: null },
  };
}

function buildApp(options: EmulatorOptions, publicUrl: string) {
  const log = options.log ?? (() => undefined);
  const now = options.now ?? Date.now;
  const settings: EmulatorSettings = {
    clientId: options.clientId ?? SANDBOX_CLIENT_ID,
    clientSecret: options.clientSecret ?? SANDBOX_CLIENT_SECRET,
    internalApplicationKey: options.internalApplicationKey,
    redirectUris: options.redirectUris ?? [],
    publicUrl,
    applicationName: options.applicationName ?? (options.clientId === undefined || options.clientId === SANDBOX_CLIENT_ID ? 'Cronofy Connect demo' : options.clientId),
    pageSize: options.pageSize ?? 10,
    memberPageSize: options.memberPageSize ?? 100,
    now,
  };
  const stateSettings: StateSettings = {
    accessTokenTtl: options.accessTokenTtl ?? 3600,
    serviceAccountTokenTtl: options.serviceAccountTokenTtl ?? 1800,
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    relinkRefreshToken: options.relinkRefreshToken ?? 'same',
    now,
  };
  const world = seedWorld();
  const restoreWorld = rememberWorld(world);
  // Every callback is signed with each active client secret, the current one first.
  const secrets = () => [settings.clientSecret, ...(options.rotatingClientSecrets ?? [])];
  const notifier = createNotifier({ secrets, retryDelaysMs: options.pushRetryDelaysMs, log });
  const callbacks = createCallbacks({ secrets, deliver: options.deliverCallbacks ?? true, log });
  const ctx: EmulatorContext = {
    ...settings,
    ...freshMemory(world, stateSettings, notifier, now),
    internalGrant: options.internalApplicationKey ? internalApplicationGrant(world.organization) : undefined,
    notifier,
    callbacks,
  };

  const recorder = createRecorder();
  const faults = createFaults();
  const holds = createHolds(describe);
  const rateLimit = createRateLimiter(options.rateLimit === false || options.rateLimit === undefined ? DEFAULT_RATE_LIMIT : options.rateLimit, now);
  const control = createControl(ctx, {
    recorder,
    faults,
    holds,
    reset() {
      restoreWorld();
      Object.assign(ctx, freshMemory(world, stateSettings, notifier, now));
      notifier.reset();
      callbacks.clear();
      faults.reset();
      rateLimit.reset();
      recorder.clear();
      holds.reset(); // last: a parked request goes on to meet the emulator as it now is
    },
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('view engine', 'ejs');
  app.set('views', path.join(__dirname, 'views'));
  app.set('view options', { rmWhitespace: true });
  app.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });
  if (options.controlApi) {
    app.use('/__emulator', express.json());
    app.use(routesFor(['control'], ctx, control));
  }
  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  app.use(recorder.middleware);
  if (options.rateLimit !== false) app.use(['/oauth/token', '/v1'], rateLimit.middleware);
  app.use(holds.parker);
  app.use(faults.injector);
  app.use('/v1', bearer(ctx));
  app.use(routesFor(options.playground ? ['app', 'api', 'playground'] : ['app', 'api'], ctx, control));
  app.use(notServed);
  app.use(errorHandler(log));
  return { app, control, closeNotifier: () => notifier.close() };
}

/** Starts the emulator; resolves once it listens. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = (options.publicUrl ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const { app, control, closeNotifier } = buildApp(options, url);
  server.on('request', app);
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
