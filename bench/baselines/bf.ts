// Baseline BF, the minimal connect-flow skeleton the app's full flow is compared with, on the same
// emulator and Redis:
//   GET /connect/individual  state SET (PX 10 min) bound to the session, session saved, 302 to authorize
//   GET /oauth/callback      GETDEL state, binding compared in constant time, token POST, regenerate, save, 302
//   GET /calendars           one axios call to the emulator's /v1/calendars, small string
// No helmet, logging, rate limit, inspector, token store or EJS: that is the app's own cost.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request } from 'express';
import { baselineRedis, baselineSession, calendarsHandler, emulatorClient, env, serveUntilSignal } from './common';

declare module 'express-session' {
  interface SessionData {
    benchBinding: string;
    benchAccessToken: string;
  }
}

const STATE_PREFIX = 'bench-bf:state:';
const redis = baselineRedis();
const emulator = emulatorClient();
const emulatorUrl = env('BENCH_EMULATOR_URL');
const redirectUri = `${env('APP_BASE_URL')}/oauth/callback`;
const client = { id: env('BENCH_CLIENT_ID'), secret: env('BENCH_CLIENT_SECRET'), scope: env('BENCH_SCOPE') };

const save = (req: Request) => new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
const regenerate = (req: Request) =>
  new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));

const app = express();
app.disable('x-powered-by');
app.get('/healthz', (_req, res) => void res.send('ok'));
app.use(baselineSession(redis, 'bench-bf:sess:'));

app.get('/connect/individual', async (req, res) => {
  const state = randomBytes(32).toString('base64url');
  req.session.benchBinding ??= randomBytes(16).toString('hex');
  await redis.set(STATE_PREFIX + state, JSON.stringify({ binding: req.session.benchBinding, at: Date.now() }), 'PX', 600_000);
  await save(req);
  const query = new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: redirectUri, scope: client.scope, state });
  res.redirect(`${emulatorUrl}/oauth/authorize?${query.toString().replace(/\+/g, '%20')}`);
});

app.get('/oauth/callback', async (req, res) => {
  const { state, code } = req.query;
  if (typeof state !== 'string' || typeof code !== 'string') return void res.status(400).send('bad callback');
  const raw = await redis.getdel(STATE_PREFIX + state);
  const expected = Buffer.from((raw ? (JSON.parse(raw) as { binding: string }).binding : '').padEnd(32, '-'));
  const actual = Buffer.from((req.session.benchBinding ?? '').padEnd(32, '-'));
  if (!raw || expected.length !== actual.length || !timingSafeEqual(expected, actual)) return void res.status(400).send('bad state');
  const answer = await emulator.post<{ access_token?: string }>('/oauth/token', {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    client_id: client.id,
    client_secret: client.secret,
  });
  if (answer.status !== 200 || !answer.data.access_token) return void res.status(502).send(`token answered ${answer.status}`);
  const binding = req.session.benchBinding;
  await regenerate(req);
  req.session.benchBinding = binding;
  req.session.benchAccessToken = answer.data.access_token;
  await save(req);
  res.redirect('/calendars');
});

app.get('/calendars', calendarsHandler(emulator));

serveUntilSignal(app, redis);
