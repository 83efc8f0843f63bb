// The process: reads the environment (and .env), starts the emulator in sandbox mode, connects
// to Redis, listens, and shuts down gracefully on SIGTERM/SIGINT.
import type { Server, ServerResponse } from 'node:http';
import { createApp } from './app';
import { pushOf } from './push';
import { ConfigError, loadConfig } from './config';
import { sandboxConfig } from './config/sandbox';
import { startEmulator } from './emulator';
import type { RunningEmulator } from './emulator/types';
import { createMemoryStore } from './store/memory-kv';
import { createRedis, describeRedis, oneServer, redisAnswers, type RedisClient } from './store/redis';
import { createRedisStore } from './store/redis-kv';
import type { KeyValueStore } from './store/kv';
import { createLogger } from './web/logging';
import { countRedisErrors, reportReplication } from './metrics/redis';
import { createMetrics } from './metrics/registry';
import { startMetricsServer, type MetricsServer } from './metrics/server';
import { createHttpServer } from './web/http-server';

const LOCAL_REDIS = 'redis://127.0.0.1:6379';

async function main(): Promise<void> {
  try {
    process.loadEnvFile('.env');
  } catch {
    // no .env file: the environment alone configures the app
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);

  let emulator: RunningEmulator | undefined;
  if (config.sandbox) {
    emulator = await startEmulator({
      port: config.emulatorPort,
      host: config.emulatorHost,
      publicUrl: `http://localhost:${config.emulatorPort}`,
      redirectUris: [`${config.appBaseUrl}/oauth/callback`, `${config.appBaseUrl}/permissions/callback`],
      playground: true,
    });
    config = sandboxConfig(config, emulator.url);
  }

  const metrics = createMetrics({ processMetrics: true });
  let metricsServer: MetricsServer | undefined;
  if (config.metrics.port !== undefined) {
    metricsServer = await startMetricsServer(metrics.registry, config.metrics.port, config.metrics.host);
    logger.info(`Metrics on ${metricsServer.url}`);
  }

  let redis: RedisClient | null = null;
  let kv: KeyValueStore;
  let closeKv = async () => {};
  const redisSettings = config.redis ?? (config.sandbox && (await redisAnswers(LOCAL_REDIS)) ? oneServer(LOCAL_REDIS) : undefined);
  if (redisSettings) {
    redis = createRedis(redisSettings, logger, { commandTimeoutMs: config.redisCommandTimeoutMs });
    logger.info(`Redis: ${describeRedis(redisSettings)}`);
    countRedisErrors(redis, metrics);
    const store = createRedisStore(redis, { onReplication: reportReplication(metrics, logger) });
    kv = store;
    closeKv = store.close;
  } else {
    logger.warn('No Redis at 127.0.0.1:6379: sessions and tokens are kept in this process and lost on restart (sandbox only)');
    kv = createMemoryStore();
  }

  const stopWorkers = new AbortController();
  const app = createApp({
    config,
    logger,
    kv,
    redis,
    metrics,
    revocation: { signal: stopWorkers.signal },
    sandbox: emulator ? { emulatorUrl: emulator.url, memoryStore: redis === null } : undefined,
  });
  const server: Server = createHttpServer(app);
  const onListening = () => {
    logger.info(
      `Cronofy Connect demo on ${config.appBaseUrl}` +
        (config.host ? ` (listening on ${config.host}:${config.port})` : '') +
        (emulator ? ` (sandbox mode: Cronofy emulator on ${emulator.url})` : ` (Cronofy data center ${config.cronofy.dataCenter})`),
    );
  };
  if (config.host) server.listen(config.port, config.host, onListening);
  else server.listen(config.port, onListening);
  server.on('error', (err) => {
    logger.error({ err }, 'could not listen');
    process.exit(1);
  });

  let stopping = false;
  // While stopping, a connection that has just answered its last request is closed at once rather
  // than kept alive until its idle timeout.
  server.on('request', (_req, res: ServerResponse) => {
    res.on('finish', () => {
      if (stopping) setImmediate(() => server.closeIdleConnections());
    });
  });
  const closeAll = async () => {
    await closeKv();
    await redis?.quit().catch(() => undefined);
    await emulator?.close();
    await metricsServer?.close();
  };
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopWorkers.abort();
    logger.info(`${signal}: finishing in-flight requests`);
    pushOf(app).closeStreams(); // live-update streams never finish on their own
    server.close(() => {
      closeAll().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('Failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
