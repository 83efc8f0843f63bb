// The connected session every page scenario uses (a real Individual Connect flow on app A), and
// B1's twin of it: the same session fields, so both stores read and write a value of the same size,
// and the app's home page as that session sees it (B1's /page sends these bytes).
import type Redis from 'ioredis';
import { SESSION_PREFIX, sessionCookieName } from '../../src/session';
import { connectOnce } from '../flow-driver';
import { cookieFrom, newAgent, send } from './http';
import type { Server, Topology } from './topology';

/** The session id inside a signed express-session cookie ("cc.sid=s%3A<id>.<signature>"). */
export function sessionIdOf(cookie: string): string {
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
  return value.slice(2, value.lastIndexOf('.'));
}

export async function connectedSessions(top: Topology, redis: Redis): Promise<{ appCookie: string; b1Cookie: string; b1: Server; sessionJson: string }> {
  const cookieName = sessionCookieName(false);
  const agent = newAgent(2);
  const appCookie = await connectOnce({ appBase: top.app.url, cookieName, agent });
  // The first pages consume the "connected" flash and create the CSRF token: the session's
  // steady-state content, which is what B1 copies and what the load then reads.
  let homePage = '';
  for (const page of ['/', '/calendars', '/']) {
    const answer = await send(`${top.app.url}${page}`, { agent, headers: { cookie: appCookie } });
    if (answer.status !== 200) throw new Error(`GET ${page} with the connected session answered ${answer.status}`);
    homePage = answer.body;
  }
  const raw = await redis.get(SESSION_PREFIX + sessionIdOf(appCookie));
  if (!raw) throw new Error('connected session not found in Redis');
  const fields = JSON.parse(raw) as Record<string, unknown> & { connections?: { individual?: string } };
  const stored = await redis.get(`cronofy-connect:connection:${fields.connections?.individual ?? ''}`);
  if (!stored) throw new Error('connected session has no token in Redis');
  const token = (JSON.parse(stored.slice(stored.indexOf('.') + 1)) as { access_token: string }).access_token;
  delete fields.cookie; // express-session writes its own
  const sessionJson = JSON.stringify({ ...fields, benchAccessToken: token });

  const b1 = await top.startB1(sessionJson, homePage);
  const login = await send(`${b1.url}/login`, { agent });
  const b1Cookie = cookieFrom(login, cookieName);
  if (!b1Cookie) throw new Error(`B1 /login set no cookie (${login.status}: ${login.body.slice(0, 200)})`);
  agent.destroy();
  return { appCookie, b1Cookie, b1, sessionJson };
}
