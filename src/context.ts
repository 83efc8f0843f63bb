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

/** What route handlers are given: built once in createApp, no module-level state anywhere. */
export interface AppContext {
  config: Config;
  logger: Logger;
  kv: KeyValueStore;
  tokens: TokenStore;
  accessTokens: AccessTokens;
  states: StateStore;
  pendingPermissions: PendingPermissions;
  clientFor: (dataCenter: DataCenter) => CronofyClient;
  now: () => number;
  inspector: Inspector;
  redirectUris: { oauth: string; permissions: string };
  /** Push notification channels, the receiver and live updates. */
  push: Push;
}
