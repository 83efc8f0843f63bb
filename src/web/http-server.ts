// The HTTP server around the app, with its timeouts chosen rather than left at Node's defaults
// (requestTimeout 300 s: a client trickling a body held a socket for five minutes).
// - headersTimeout 10 s: the request line and headers must arrive within it (slowloris);
// - requestTimeout 15 s: the whole request, body included (bodies are at most 10 kB, POST only);
// - keepAliveTimeout 5 s: an idle kept-alive socket is closed after it. Behind a proxy that
//   reuses connections, make it longer than the proxy's own idle timeout;
// - connectionsCheckingInterval 1 s: how often Node enforces the two above (default 30 s).
// The page's own work is bounded separately: CRONOFY_TIMEOUT_MS across every Cronofy call.
import http, { type RequestListener, type Server } from 'node:http';

export interface ServerTimeouts {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = Object.freeze({
  headersTimeout: 10_000,
  requestTimeout: 15_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
});

export function createHttpServer(app: RequestListener, timeouts: ServerTimeouts = SERVER_TIMEOUTS): Server {
  const server = http.createServer(
    {
      headersTimeout: timeouts.headersTimeout,
      requestTimeout: timeouts.requestTimeout,
      connectionsCheckingInterval: timeouts.connectionsCheckingInterval,
    },
    app,
  );
  server.keepAliveTimeout = timeouts.keepAliveTimeout;
  return server;
}
