import type { Logger } from 'pino';
import type { Config } from './config';
import type { CronofyClient } from './cronofy/client';
import type { DataCenter } from './cronofy/data-centers';
import type { TokenManager } from './connections/fresh-token';
import type { TokenStore } from './connections/token-store';
import type { StateStore } from './connect/state-store';
import type { KeyValueStore } from './store/kv';
import type { Inspector } from './inspector/inspector';
import type { Push } from './push';

/** What route handlers are given: built once in createApp, no module-level state anywhere. */
export interface AppContext {
  config: Config;
  logger: Logger;
  kv: KeyValueStore;
  tokens: TokenStore;
  tokenManager: TokenManager;
  states: StateStore;
  clientFor: (dataCenter: DataCenter) => CronofyClient;
  now: () => number;
  inspector: Inspector;
  redirectUris: { oauth: string; permissions: string };
  /** Push notification channels, the receiver and live updates. */
  push: Push;
}
