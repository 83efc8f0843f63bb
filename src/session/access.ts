import type { Request } from 'express';
import type { SessionData } from 'express-session';
import { type ConnectionKind, type ConnectionSummary, summarize } from '../connections/connection';
import type { TokenStore } from '../connections/token-store';

export type SessionConnections = Partial<Record<ConnectionKind, ConnectionSummary>>;

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

/**
 * A new session id (the old one is destroyed in the store), keeping what this browser holds.
 * Used whenever a connection is made: the id an attacker may have planted stops working.
 */
export async function regenerateSession(req: Request, changes: Partial<SessionData>): Promise<void> {
  const { createdAt, connections, inspectorId, flowBinding } = req.session;
  await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
  Object.assign(req.session, { createdAt, connections, inspectorId, flowBinding }, changes);
  await saveSession(req);
}

export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
}

export function flash(req: Request, kind: 'info' | 'error', text: string): void {
  req.session.flash = { kind, text };
}

/** The session's connections as pages show them (no tokens); forgets ids whose tokens are gone. */
export async function sessionConnections(req: Request, tokens: Pick<TokenStore, 'get'>): Promise<SessionConnections> {
  const ids = req.session.connections ?? {};
  const found: SessionConnections = {};
  for (const kind of ['individual', 'organization'] as const) {
    const id = ids[kind];
    if (!id) continue;
    const stored = await tokens.get(id);
    if (stored) found[kind] = summarize(stored.connection);
    else delete ids[kind];
  }
  return found;
}
