// What the app stored, read the way the app reads it: the session id behind a cookie, the session
// data in Redis, and the tokens through the token store (so encryption and the version prefix are
// the store's business, not each test's).
import type { Connection, ConnectionKind } from '../../src/connections/connection';
import type { TokenStore } from '../../src/connections/token-store';
import { SESSION_PREFIX } from '../../src/session';
import type { RedisClient } from '../../src/store/redis';
import type { AppSessionData } from '../../src/session/types';

const COOKIE_NAME = 'cc.sid';

/** Anything carrying Set-Cookie headers: a supertest or fetch-like response, or the header value itself. */
type CookieSource = { headers: Record<string, unknown> } | string | string[] | undefined;

/** The `cc.sid=…` pair a response set (ready for a Cookie header); throws when it set none. */
export function sessionCookie(source: CookieSource): string {
  const raw = typeof source === 'object' && source !== null && !Array.isArray(source) ? source.headers['set-cookie'] : source;
  const cookie = ([] as unknown[]).concat(raw ?? []).map(String).find((c) => c.startsWith(`${COOKIE_NAME}=`));
  if (!cookie) throw new Error('no session cookie was set');
  return cookie.split(';')[0]!;
}

/** The session id inside a `cc.sid` cookie (express-session signs it as `s:<id>.<signature>`). */
export function sessionIdOf(cookie: string): string {
  const value = decodeURIComponent(cookie.split(';')[0]!.slice(`${COOKIE_NAME}=`.length));
  if (!value.startsWith('s:')) throw new Error(`not a signed session cookie: ${cookie.slice(0, 40)}`);
  return value.slice(2, value.lastIndexOf('.'));
}

export const sessionKey = (cookie: string): string => SESSION_PREFIX + sessionIdOf(cookie);

/** The session data behind a cookie; null when the store has none. */
export async function sessionData(redis: RedisClient, cookie: string): Promise<Partial<AppSessionData> | null> {
  const raw = await redis.get(sessionKey(cookie));
  return raw === null ? null : (JSON.parse(raw) as Partial<AppSessionData>);
}

/** The stored connection of `kind` behind a cookie, read through the token store; null when gone. */
export async function storedConnection(
  stores: { redis: RedisClient; tokens: TokenStore },
  cookie: string,
  kind: ConnectionKind = 'individual',
): Promise<Connection | null> {
  const id = (await sessionData(stores.redis, cookie))?.connections?.[kind];
  return id === undefined ? null : ((await stores.tokens.get(id))?.connection ?? null);
}

/** Whether the token store still holds anything (readable or not) under this connection id. */
export async function tokensExist(stores: { redis: RedisClient; tokens: TokenStore }, id: string): Promise<boolean> {
  return (await stores.redis.exists(stores.tokens.key(id))) === 1;
}
