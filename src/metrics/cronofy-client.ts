// Counts what the Cronofy client does for the token lifecycle, without the client or the token
// manager knowing: refreshes by outcome (ok, invalid_grant, error) and revocations (ok, error).
// Wraps a client's functions; the client keeps no `this`, so the copy behaves the same.
import type { CronofyClient } from '../cronofy/client';
import { CronofyError } from '../cronofy/errors';
import type { Metrics } from './registry';

export function countTokenCalls(client: CronofyClient, metrics: Metrics): CronofyClient {
  return {
    ...client,
    async refreshAccessToken(...args: Parameters<CronofyClient['refreshAccessToken']>) {
      try {
        const answer = await client.refreshAccessToken(...args);
        metrics.tokenRefresh('ok');
        return answer;
      } catch (err) {
        metrics.tokenRefresh(err instanceof CronofyError && err.code === 'invalid_grant' ? 'invalid_grant' : 'error');
        throw err;
      }
    },
    async revokeAuthorization(...args: Parameters<CronofyClient['revokeAuthorization']>) {
      try {
        await client.revokeAuthorization(...args);
        metrics.revocation('ok');
      } catch (err) {
        metrics.revocation('error');
        throw err;
      }
    },
  };
}
