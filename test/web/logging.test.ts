import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { createLogger, redactUrl, requestLogger, safeError } from '../../src/web/logging';
import { CronofyError } from '../../src/cronofy/errors';

describe('redactUrl', () => {
  it('F3: masks code and state but keeps the path and harmless parameters', () => {
    expect(redactUrl('/oauth/callback?code=abc123&state=xyz&error=access_denied')).toBe(
      '/oauth/callback?code=%5Bredacted%5D&state=%5Bredacted%5D&error=access_denied',
    );
  });

  it('masks every value of a repeated secret parameter and drops error_description', () => {
    const url = redactUrl('/x?state=a&state=b&error_description=%3Cscript%3E');
    expect(url).toBe("/x?state=%5Bredacted%5D&error_description=%5Bomitted%5D");
  });

  it('leaves a URL without a query alone', () => {
    expect(redactUrl('/calendars')).toBe('/calendars');
  });
});

describe('safeError', () => {
  it('keeps only name, message, code and status: never the request behind an error', () => {
    const err = Object.assign(new Error('boom'), { config: { headers: { Authorization: 'Bearer secret' }, data: 'client_secret=s' } });
    expect(JSON.stringify(safeError(err))).not.toMatch(/secret/);
  });

  it('reports a CronofyError with its status and endpoint', () => {
    const err = new CronofyError('unavailable', 'down', { status: 503, endpoint: 'GET /v1/calendars' });
    expect(safeError(err)).toMatchObject({ type: 'CronofyError', status: 503, endpoint: 'GET /v1/calendars' });
  });
});

describe('requestLogger', () => {
  /** An app with the request logger, its lines parsed; `next()` resolves with the next line written. */
  function logged() {
    const lines: Record<string, unknown>[] = [];
    const waiting: ((line: Record<string, unknown>) => void)[] = [];
    const logger = createLogger('info', {
      write: (text: string) => {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        waiting.shift()?.(line);
      },
    });
    const app = express();
    app.use(requestLogger(logger));
    return { app, lines, next: () => new Promise<Record<string, unknown>>((resolve) => waiting.push(resolve)) };
  }

  it('writes one line per request: id, method, redacted URL, status and time; no headers or cookies', async () => {
    const { app, lines } = logged();
    app.get('/oauth/callback', (_req, res) => void res.send('ok'));
    await request(app).get('/oauth/callback?code=secret-code&state=s1').set('Cookie', 'cc.sid=s%3Asession-id').expect(200);
    await request(app).get('/oauth/callback?code=other').expect(200);
    expect(lines).toHaveLength(2);
    const [first, second] = lines as [Record<string, unknown>, Record<string, unknown>];
    expect(first).toMatchObject({ level: 30, msg: 'request completed', res: { statusCode: 200 } });
    expect(first.req).toEqual({ id: expect.any(String), method: 'GET', url: '/oauth/callback?code=%5Bredacted%5D&state=%5Bredacted%5D' });
    expect(typeof first.responseTime).toBe('number');
    expect((first.req as { id: string }).id).not.toBe((second.req as { id: string }).id);
    expect(JSON.stringify(lines)).not.toMatch(/secret-code|session-id|cookie/i);
  });

  it('logs a 4xx at warn and a 5xx at error', async () => {
    const { app, lines } = logged();
    app.get('/fails', (_req, res) => void res.status(503).send('down'));
    await request(app).get('/missing').expect(404);
    await request(app).get('/fails').expect(503);
    expect(lines.map((l) => [l.level, l.msg, (l.res as { statusCode: number }).statusCode])).toEqual([
      [40, 'request completed', 404],
      [50, 'request errored', 503],
    ]);
  });

  it('logs a request the client gave up on as aborted, at warn', async () => {
    const { app, next } = logged();
    let reached!: () => void;
    const handlerReached = new Promise<void>((resolve) => (reached = resolve));
    app.get('/slow', (req, res) => {
      reached();
      req.on('close', () => setImmediate(() => res.end())); // answers only after the client left
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const client = http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/slow' });
      client.on('error', () => undefined);
      const line = next();
      await handlerReached;
      client.destroy();
      expect(await line).toMatchObject({ level: 40, msg: 'request aborted', req: { method: 'GET', url: '/slow' } });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('logs an event stream the client left as closed, at info: that is how a stream ends', async () => {
    const { app, next } = logged();
    let streaming!: () => void;
    const started = new Promise<void>((resolve) => (streaming = resolve));
    app.get('/live', (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(': open\n\n', () => streaming());
      req.on('close', () => setImmediate(() => res.end()));
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const client = http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/live' });
      client.on('error', () => undefined);
      const line = next();
      await started;
      client.destroy();
      expect(await line).toMatchObject({ level: 30, msg: 'stream closed', req: { method: 'GET', url: '/live' }, res: { statusCode: 200 } });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
