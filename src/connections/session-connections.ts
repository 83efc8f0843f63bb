// The connections a browser session holds, as pages need them: summaries without tokens.
import type { Request } from 'express';
import type { AppContext } from '../context';
import { type ConnectionKind, type ConnectionSummary, summarize } from './connection';

export type SessionConnections = Partial<Record<ConnectionKind, ConnectionSummary>>;

/** Reads the session's connections from the token store; forgets ids whose tokens are gone. */
export async function sessionConnections(ctx: AppContext, req: Request): Promise<SessionConnections> {
  const ids = req.session.connections ?? {};
  const found: SessionConnections = {};
  for (const kind of ['individual', 'organization', 'enterprise'] as const) {
    const id = ids[kind];
    if (!id) continue;
    const stored = await ctx.tokens.get(id);
    if (stored) found[kind] = summarize(stored.connection);
    else delete ids[kind];
  }
  return found;
}
