// What B1 and BF share with the app, so that the ratios compare like with like: the session
// middleware with the app's cookie settings and store options (connect-redis, same TTL, touch on),
// one ioredis connection with the app's client options, and an axios instance with a keep-alive
// agent like the Cronofy client's. The baselines import nothing from src/: they are compiled on
// their own (bench/baselines/tsconfig.json) and run as plain `node`, like the app's dist/.
import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import type { Express, RequestHandler } from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import Redis from 'ioredis';

export const SESSION_TTL_S = 30 * 60;

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

export function baselineRedis(): Redis {
  const redis = new Redis(env('REDIS_URL'), { commandTimeout: 1000, maxRetriesPerRequest: 1 });
  redis.on('error', (err: Error) => console.error(`baseline redis: ${err.message}`));
  return redis;
}

export function baselineSession(redis: Redis, prefix: string): RequestHandler {
  return session({
    name: 'cc.sid',
    secret: env('SESSION_SECRET'),
    store: new RedisStore({ client: redis, prefix, ttl: SESSION_TTL_S }),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: false, path: '/' },
  });
}

export function emulatorClient(): AxiosInstance {
  return axios.create({
    baseURL: env('BENCH_EMULATOR_URL'),
    timeout: 10_000,
    httpAgent: new http.Agent({ keepAlive: true }),
    validateStatus: () => true,
  });
}

/** GET /calendars as both baselines serve it: one emulator call with the session's token. */
export function calendarsHandler(emulator: AxiosInstance): RequestHandler {
  return async (req, res) => {
    const token = (req.session as { benchAccessToken?: string }).benchAccessToken;
    if (!token) return void res.status(401).send('no session');
    const answer = await emulator.get<{ calendars?: unknown[] }>('/v1/calendars', { headers: { Authorization: `Bearer ${token}` } });
    if (answer.status !== 200) return void res.status(502).send(`emulator answered ${answer.status}`);
    res.send(`calendars: ${answer.data.calendars?.length ?? 0}`);
  };
}

/** Listens on PORT until SIGTERM/SIGINT, then closes the server and Redis. */
export function serveUntilSignal(app: Express, redis: Redis): void {
  const server = app.listen(Number(env('PORT')), '127.0.0.1');
  const stop = () => {
    server.close();
    server.closeAllConnections();
    redis.disconnect();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
