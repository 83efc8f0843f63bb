import type { DataCenter } from '../cronofy/data-centers';
import type { LinkingProfile } from '../cronofy/types';

export type ConnectionKind = 'individual' | 'organization' | 'enterprise';

/** One authorization held for a browser session. Stored server-side only, under its own key. */
export interface Connection {
  id: string;
  kind: ConnectionKind;
  data_center: DataCenter;
  access_token: string;
  refresh_token: string;
  /** Epoch milliseconds. */
  expires_at: number;
  scope: string;
  account_id?: string;
  sub?: string;
  linking_profile?: LinkingProfile;
  /** Enterprise Connect: the service account (ser_…) this token acts as. */
  service_account_id?: string;
  /** Epoch ms of the first connect of this Cronofy account (kept across sign-ins). */
  connected_at: number;
  /** Epoch ms of the latest sign-in (connect flow) with this account; the record is kept 30 days from it. */
  signed_in_at?: number;
  /**
   * Set on a record that belongs to one browser session (Enterprise Connect: the service account and
   * its people; a token answer without `sub`): epoch ms when that session has ended at the latest
   * (its absolute lifetime). It lapses sooner, when the session idles out (the token store's
   * schedule, moved on by the session's requests), and is revoked then.
   */
  lapses_at?: number;
  refreshed_at?: number;
}

/** What pages may show about a connection: no tokens. */
export interface ConnectionSummary {
  kind: ConnectionKind;
  data_center: DataCenter;
  scope: string[];
  account_id?: string;
  sub?: string;
  service_account_id?: string;
  profile?: string;
  provider?: string;
  expires_at: number;
  connected_at: number;
  refreshed_at?: number;
}

export function summarize(connection: Connection): ConnectionSummary {
  return {
    kind: connection.kind,
    data_center: connection.data_center,
    scope: connection.scope.split(' ').filter(Boolean),
    account_id: connection.account_id,
    sub: connection.sub,
    service_account_id: connection.service_account_id,
    profile: connection.linking_profile?.profile_name,
    provider: connection.linking_profile?.provider_name,
    expires_at: connection.expires_at,
    connected_at: connection.connected_at,
    refreshed_at: connection.refreshed_at,
  };
}
