// Child process: a small round-robin HTTP reverse proxy for the scale-out scenario, on node:http
// with keep-alive agents towards the app instances. BENCH_BACKENDS is a comma-separated list of
// ports on 127.0.0.1. No header rewriting beyond Host: the benchmark only sends GETs with a cookie.
import http from 'node:http';

const port = Number(process.env.PORT);
const backends = (process.env.BENCH_BACKENDS ?? '').split(',').filter(Boolean).map(Number);
if (!port || backends.length === 0) {
  console.error('bench proxy: PORT and BENCH_BACKENDS are required');
  process.exit(1);
}
// Idle upstream sockets are dropped after 4 s, before Node's default 5 s server keepAliveTimeout
// closes them from the other side: reusing a socket the app is closing would be a 502 caused by
// the proxy, not by the app.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, timeout: 4000 });
let next = 0;

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') return void res.end('ok');
  const backend = backends[next++ % backends.length];
  const upstream = http.request(
    { host: '127.0.0.1', port: backend, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${backend}` }, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
