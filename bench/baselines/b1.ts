// Baseline B1 = bare Express 5 + express-session + connect-redis + ioredis, same cookie settings
// as the app, answering a small string. GET /login writes a session of the app's size
// (BENCH_SESSION_JSON: a copy of a real connected session's fields, plus the access token);
// GET /calendars adds the one axios call to the emulator the app's calendars page makes. GET /page
// sends the app's home page as the connected session sees it (BENCH_PAGE_HTML, held in memory): the
// same bytes as the app's page, without rendering them or anything else the app does per request.
import express from 'express';
import { baselineRedis, baselineSession, calendarsHandler, emulatorClient, env, serveUntilSignal } from './common';

declare module 'express-session' {
  interface SessionData {
    benchAccessToken: string;
  }
}

const redis = baselineRedis();
const emulator = emulatorClient();
const sessionFields = JSON.parse(env('BENCH_SESSION_JSON')) as Record<string, unknown>;
const pageHtml = env('BENCH_PAGE_HTML');

const app = express();
app.disable('x-powered-by');
app.get('/healthz', (_req, res) => void res.send('ok'));
app.use(baselineSession(redis, 'bench-b1:sess:'));

app.get('/login', (req, res) => {
  Object.assign(req.session, sessionFields);
  res.send('logged in');
});

app.get('/', (req, res) => {
  if (!req.session.benchAccessToken) return void res.status(401).send('no session');
  res.send('hello');
});

app.get('/page', (req, res) => {
  if (!req.session.benchAccessToken) return void res.status(401).send('no session');
  res.type('html').send(pageHtml);
});

app.get('/calendars', calendarsHandler(emulator));

serveUntilSignal(app, redis);
