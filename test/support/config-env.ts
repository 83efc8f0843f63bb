// What the configuration tests share: the problems loadConfig reports for an environment, and the
// credentials that take it out of sandbox mode.
import { ConfigError, loadConfig } from '../../src/config';

/** Real credentials: a client id and secret and the session secret they require (no Redis). */
export const REAL_CREDENTIALS = { CRONOFY_CLIENT_ID: 'id', CRONOFY_CLIENT_SECRET: 'secret', SESSION_SECRET: 'x'.repeat(32) };

/** The problems loadConfig names for `env`, or none. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
