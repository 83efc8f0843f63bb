import type { Logger } from 'pino';
import type { Config } from './config';
import type { CronofyClient } from './cronofy/client';
import type { DataCenter } from './cronofy/data-centers';
import type { AccessTokens } from './connections/access-tokens';
import type { TokenStore } from './connections/token-store';
import type { StateStore } from './connections/state-store';
import type { PendingPermissions } from './connections/pending-permissions';
import type { KeyValueStore } from './store/kv';
import type { Inspector } from './inspector/inspector';
import type { Push } from './push';
import type { ReadCache } from './cache/read-cache';
import type { ApplicationIdentity } from './connections/identity';
import type { Revoker } from './revocation/revoker';

/** What route handlers are given: built once in createApp, no module-level state anywhere. */
export interface AppContext {
  config: Config;
  logger: Logger;
  kv: KeyValueStore;
  tokens: TokenStore;
  /** Gives grants back to Cronofy, queueing what fails (decision 010). */
  revoker: Revoker;
  /** Who this app is at Cronofy: names the connection records (connections/identity.ts). */
  application: ApplicationIdentity;
  accessTokens: AccessTokens;
  states: StateStore;
  pendingPermissions: PendingPermissions;
  clientFor: (dataCenter: DataCenter) => CronofyClient;
  now: () => number;
  inspector: Inspector;
  /** A connection's read-only Cronofy answers, for CRONOFY_CACHE_SECONDS; invalidate on any change. */
  cache: ReadCache;
  redirectUris: { oauth: string; permissions: string };
  /** Push notification channels, the receiver and live updates. */
  push: Push;
}
