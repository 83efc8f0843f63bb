// The Cronofy client against small servers that misbehave in ways the emulator does not.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCronofyClient } from '../../src/cronofy/client';
import { CronofyError } from '../../src/cronofy/errors';

let server: Server;
let url = '';
let handler: (res: import('node:http').ServerResponse) => void = (res) => res.end();
beforeAll(async () => {
  server = createServer((_req, res) => handler(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = (timeoutMs = 10_000) =>
  createCronofyClient({ hosts: { appUrl: url, apiUrl: url }, clientId: 'id', clientSecret: 'secret', timeoutMs, getRetries: 0 });

describe('createCronofyClient', () => {
  it('bounds the whole call by the timeout, even when the server keeps sending a byte now and then', async () => {
    let finished = false;
    handler = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let sent = 0;
      const drip = setInterval(() => {
        if (res.destroyed) return clearInterval(drip);
        res.write(' ');
        if (++sent === 20) {
          clearInterval(drip);
          finished = true;
          res.end('{"calendars":[]}');
        }
      }, 100);
    };
    const error = await client(300).listCalendars({ accessToken: 't' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CronofyError);
    expect((error as CronofyError).code).toBe('unavailable');
    expect(finished).toBe(false); // it gave up long before the answer would have ended
  });

  it('reads a token answer without scope as granting nothing named, not as a crash later', async () => {
    handler = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token_type: 'bearer', access_token: 'a', refresh_token: 'r', expires_in: 3600 }));
    };
    const answer = await client().requestAccessToken({ code: 'c', redirect_uri: 'http://app.test/oauth/callback' });
    expect(answer.scope).toBe('');
  });
});
