// A tiny HTTP client on node:http with keep-alive agents: the flow driver, the storm and the paced
// load use it instead of fetch because it is cheaper per request and never follows redirects.
// "localhost" is dialled as 127.0.0.1 (the Host header keeps the name), so results never depend
// on how the resolver orders ::1 and 127.0.0.1.
import http, { type IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  agent: http.Agent;
  /** Skip reading the body into a string (the paced load only needs the status). */
  discardBody?: boolean;
}

/**
 * Keep-alive, with idle sockets dropped after 4 s: Node servers close idle keep-alive sockets
 * after 5 s, and a request written onto a socket the server is just closing fails with "socket
 * hang up" (the agent reuses free sockets LIFO, so some stay idle that long even under load).
 */
export function newAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 4000 });
}

export function send(url: string, options: SendOptions): Promise<Reply> {
  const target = new URL(url);
  const headers: Record<string, string> = { host: target.host, ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname === 'localhost' ? '127.0.0.1' : target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? 'GET',
        headers,
        agent: options.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          if (!options.discardBody) chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${options.method ?? 'GET'} ${target.pathname}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** "name=value" of the cookie `name` set by this answer, or null. */
export function cookieFrom(reply: Reply, name: string): string | null {
  for (const line of reply.headers['set-cookie'] ?? []) {
    const pair = line.split(';', 1)[0] ?? '';
    if (pair.startsWith(`${name}=`)) return pair;
  }
  return null;
}

export function expectStatus(reply: Reply, expected: number, what: string): void {
  if (reply.status !== expected) throw new Error(`${what}: expected ${expected}, got ${reply.status} ${reply.body.slice(0, 200)}`);
}

/** Location resolved against the URL that answered. */
export function locationOf(reply: Reply, from: string, what: string): string {
  const location = reply.headers.location;
  if (!location) throw new Error(`${what}: redirect without Location`);
  return new URL(location, from).toString();
}
