// Which record a connection lives in (decision 010): one per Cronofy account, per application.
// - The id is a hash of the application (client id and host overrides), the kind, the data center
//   and the token answer's `sub`: the same person signing in again from any browser reaches it.
// - No `sub` in the answer: a random id, held by that browser session only.
// - The id is a Redis key name only: never shown, never accepted from a request.
import { createHash, randomBytes } from 'node:crypto';
import type { DataCenter } from '../cronofy/data-centers';
import type { ConnectionKind } from './connection';

export interface ApplicationIdentity {
  clientId: string;
  appUrl?: string;
  apiUrl?: string;
}

/** A short name for this application and its hosts, so two apps sharing a Redis never share keys. */
export function applicationKey(app: ApplicationIdentity): string {
  return createHash('sha256').update(JSON.stringify([app.clientId, app.appUrl ?? '', app.apiUrl ?? ''])).digest('hex').slice(0, 16);
}

export function connectionIdFor(app: ApplicationIdentity, kind: ConnectionKind, dataCenter: DataCenter, sub: string | undefined): string {
  if (!sub) return randomBytes(16).toString('hex');
  return createHash('sha256').update(JSON.stringify([applicationKey(app), kind, dataCenter, sub])).digest('hex').slice(0, 32);
}
