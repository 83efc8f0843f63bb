// Issue 14: slow clients. The server's timeouts are chosen (web/http-server.ts) and enforced: a
// client trickling a request body, or never finishing its headers, has its socket closed after the
// configured time instead of holding it for Node's default 300 s. Bodies are read on POST only.
import { once } from 'node:events';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { createHttpServer, SERVER_TIMEOUTS } from '../../src/web/http-server';
import { type Harness, startHarness } from '../support/harness';

let h: Harness;
let server: Server;
let port: number;
beforeAll(async () => {
  h = await startHarness();
  server = createHttpServer(h.app, { headersTimeout: 400, requestTimeout: 600, keepAliveTimeout: 300, connectionsCheckingInterval: 50 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.close();
  await h.close();
});

async function opened(): Promise<{ socket: Socket; received: () => string; closed: Promise<unknown> }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const closed = once(socket, 'close');
  return { socket, received: () => text, closed };
}

describe('the HTTP server', () => {
  it('has deliberate defaults: headers in 10 s, the whole request in 15 s, idle keep-alive 5 s', () => {
    expect(SERVER_TIMEOUTS).toEqual({ headersTimeout: 10_000, requestTimeout: 15_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 });
    const real = createHttpServer(h.app);
    expect([real.headersTimeout, real.requestTimeout, real.keepAliveTimeout]).toEqual([10_000, 15_000, 5_000]);
  });

  it('M11: closes a socket whose POST body trickles past requestTimeout, with a 408', async () => {
    const { socket, received, closed } = await opened();
    socket.write('POST /logout HTTP/1.1\r\nHost: app.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n_csrf=');
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('M11: closes a socket whose headers never finish', async () => {
    const { socket, closed } = await opened();
    socket.write('GET / HTTP/1.1\r\nHost: app.test\r\nX-Slow: ');
    await closed;
  });

  it('M11: answers a GET carrying a body without waiting for the body, and closes the socket after requestTimeout', async () => {
    const { socket, received, closed } = await opened();
    socket.write('GET / HTTP/1.1\r\nHost: app.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\na=');
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 200 OK/);
  });
});
