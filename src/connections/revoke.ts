// Giving a grant back to Cronofy when the app lets go of its tokens (disconnect, a replaced or
// unstorable connection, a refresh that lost to a disconnect).
// - POST /oauth/token/revoke with the refresh token (it cannot have expired);
// - a failure is logged at warn (which connection kind, data center, why, Cronofy's error code;
//   never a token) and reported to the caller, never thrown: the tokens are forgotten either way.
import type { Logger } from 'pino';
import type { CronofyClient } from '../cronofy/client';
import type { DataCenter } from '../cronofy/data-centers';
import type { Connection } from './connection';

export type RevokeReason = 'disconnect' | 'replaced' | 'not stored' | 'refreshed after disconnect';

/** True when Cronofy confirmed the revoke. */
export async function revokeGrant(
  clientFor: (dataCenter: DataCenter) => CronofyClient,
  connection: Pick<Connection, 'kind' | 'data_center' | 'refresh_token'>,
  reason: RevokeReason,
  logger: Pick<Logger, 'warn'>,
): Promise<boolean> {
  try {
    await clientFor(connection.data_center).revokeAuthorization({ token: connection.refresh_token });
    return true;
  } catch (err) {
    logger.warn({ err, kind: connection.kind, data_center: connection.data_center, reason }, 'revoke failed');
    return false;
  }
}
