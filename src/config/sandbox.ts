import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from '../emulator/types';
import type { Config } from '.';

/** The same configuration, pointed at the bundled emulator with its sandbox application. */
export function sandboxConfig(config: Config, emulatorUrl: string): Config {
  return Object.freeze({
    ...config,
    cronofy: Object.freeze({
      ...config.cronofy,
      clientId: SANDBOX_CLIENT_ID,
      clientSecret: SANDBOX_CLIENT_SECRET,
      appUrl: emulatorUrl,
      apiUrl: emulatorUrl,
    }),
  });
}
