// The one module that reads and writes session data (the fields are declared in ./types.ts).
// - A session holds ids, never tokens: the connections' ids, the flow binding pending `state`s are
//   tied to, the inspector's timeline id, the start time, and one flash message.
// - Regenerating keeps what KEPT_ON_REGENERATE says; it names every field of AppSessionData, so a
//   new field does not typecheck until someone decides whether it survives a new session id.
// - Everything else in src/ goes through these functions, not through req.session.
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { AppSessionData } from './types';
import { StorageError } from '../store/errors';
import { type ConnectionKind, type ConnectionSummary, summarize } from '../connections/connection';
import type { TokenStore } from '../connections/token-store';

export type SessionConnections = Partial<Record<ConnectionKind, ConnectionSummary>>;
export type Flash = AppSessionData['flash'];

/**
 * Which of our fields survive a new session id. Connections, the inspector timeline and the start
 * time (the absolute lifetime counts from the first session) stay; a flash is set afresh. The flow
 * binding does not: a new id gets a new binding (the caller passes it and retires the old one), so
 * a flow prepared in a session an attacker planted cannot complete in the renewed one (decision 004). Libraries' fields (the cookie,
 * csrf-sync's token) are the new session's own.
 */
const KEPT_ON_REGENERATE: { readonly [K in keyof AppSessionData]-?: boolean } = {
  createdAt: true,
  connections: true,
  flash: false,
  inspectorId: true,
  flowBinding: false,
  boundUntil: true,
};

/** Calls the session's callback-style `operation`; a store failure rejects with a StorageError. */
function sessionStore(req: Request, operation: 'save' | 'regenerate' | 'destroy'): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session[operation]((err: unknown) => (err ? reject(new StorageError(`session.${operation}`, err)) : resolve())),
  );
}

export const saveSession = (req: Request): Promise<void> => sessionStore(req, 'save');

/**
 * A new session id (the old one is destroyed in the store), keeping what this browser holds.
 * Used whenever a connection is made: the id an attacker may have planted stops working.
 */
export async function regenerateSession(req: Request, changes: Partial<AppSessionData>): Promise<void> {
  const kept: Partial<AppSessionData> = {};
  for (const field of Object.keys(KEPT_ON_REGENERATE) as (keyof AppSessionData)[]) {
    if (KEPT_ON_REGENERATE[field] && req.session[field] !== undefined) Object.assign(kept, { [field]: req.session[field] });
  }
  await sessionStore(req, 'regenerate');
  Object.assign(req.session, kept, changes);
  await saveSession(req);
}

export const destroySession = (req: Request): Promise<void> => sessionStore(req, 'destroy');

/** Marks the session as taking part in flows: its start time, inspector id and flow binding. */
export function beginFlows(req: Request, now: number): { flowBinding: string } {
  req.session.createdAt ??= now;
  req.session.inspectorId ??= randomBytes(16).toString('hex');
  req.session.flowBinding ??= randomBytes(16).toString('hex');
  return { flowBinding: req.session.flowBinding };
}

/** The random value this session's pending flows are bound to; '' when it never started one. */
export const flowBindingOf = (req: Request): string => req.session.flowBinding ?? '';

/** When the session began (for the absolute lifetime); undefined before its first flow. */
export const createdAtOf = (req: Request): number | undefined => req.session.createdAt;

/** When the records only this session can reach lapse unless moved on (./hold.ts); undefined when none can move. */
export const boundUntilOf = (req: Request): number | undefined => req.session.boundUntil;

/** Records when this session's session-bound records lapse; undefined: none left to move on. */
export function setBoundUntil(req: Request, until: number | undefined): void {
  if (until === undefined) delete req.session.boundUntil;
  else req.session.boundUntil = until;
}

/** The id of this session's inspector timeline; undefined when it never started a flow. */
export const inspectorIdOf = (req: Request | undefined): string | undefined => req?.session?.inspectorId;

/**
 * The id of this session's connection of `kind`. When there is none and `missing` is given, that
 * message is kept for the next page (the caller redirects there).
 */
export function connectionOf(req: Request, kind: ConnectionKind, missing?: string): string | undefined {
  const id = req.session.connections?.[kind];
  if (!id && missing) flash(req, 'info', missing);
  return id;
}

/** Every connection id this session holds. */
export function connectionIds(req: Request): Partial<Record<ConnectionKind, string>> {
  return { ...req.session.connections };
}

/** Forgets the session's connection of `kind` (the tokens are the caller's business). */
export function forgetConnection(req: Request, kind: ConnectionKind): void {
  if (req.session.connections) delete req.session.connections[kind];
}

/** Forgets whichever connection has this id; the kind it was, if any. */
export function forgetConnectionId(req: Request, id: string): ConnectionKind | undefined {
  const connections = req.session?.connections;
  if (!connections) return undefined;
  for (const kind of ['individual', 'organization', 'enterprise'] as const) {
    if (connections[kind] === id) {
      delete connections[kind];
      return kind;
    }
  }
  return undefined;
}

/**
 * The session's connections as pages show them (no tokens); forgets ids whose tokens are gone.
 * The records are read together: one round trip to Redis however many connections there are.
 */
export async function sessionConnections(req: Request, tokens: Pick<TokenStore, 'get'>): Promise<SessionConnections> {
  const held = (Object.entries(connectionIds(req)) as [ConnectionKind, string | undefined][]).filter((entry): entry is [ConnectionKind, string] => Boolean(entry[1]));
  const stored = await Promise.all(held.map(([, id]) => tokens.get(id)));
  const found: SessionConnections = {};
  held.forEach(([kind], i) => {
    const record = stored[i];
    if (record) found[kind] = summarize(record.connection);
    else forgetConnection(req, kind);
  });
  return found;
}

export function flash(req: Request, kind: Flash['kind'], text: string): void {
  req.session.flash = { kind, text };
}

/** The message kept for this page, removed from the session. */
export function takeFlash(req: Request): Flash | undefined {
  const message = req.session.flash;
  if (message) delete req.session.flash;
  return message;
}
