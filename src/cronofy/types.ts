// Cronofy's wire shapes, with Cronofy's own field names (see docs/cronofy-notes.md).

export interface LinkingProfile {
  provider_name: string;
  profile_id: string;
  profile_name: string;
  provider_service?: string;
}

/** POST /oauth/token answer. account_id, sub and linking_profile come with code exchanges only. */
export interface TokenResponse {
  token_type: string;
  access_token: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
  account_id?: string;
  sub?: string;
  linking_profile?: LinkingProfile;
  /** Enterprise Connect's service-account token answer names the service account (ser_…). */
  service_account_id?: string;
}

export interface Calendar {
  provider_name: string;
  profile_id: string;
  profile_name: string;
  calendar_id: string;
  calendar_name: string;
  calendar_readonly: boolean;
  calendar_deleted: boolean;
  calendar_primary: boolean;
  permission_level: string;
}

export interface UserInfo {
  sub: string;
  email?: string | null;
  name?: string | null;
  zoneinfo?: string;
  'cronofy.type'?: string;
  /** Nested details; for a service account: service_account.{provider_name, domain}, authorization.{scope, status, delegated_scope}. */
  'cronofy.data'?: Record<string, unknown>;
}

/** One request of POST /v1/service_account_authorizations. */
export interface ServiceAccountAuthorization {
  email: string;
  callback_url: string;
  scope: string;
  state?: string;
}

export interface PermissionsRequestAnswer {
  permissions_request: { url?: string; accepted?: boolean };
}

export interface OrganizationalUnitMember {
  sub: string;
  email: string;
  roles: string[];
  scheduler?: { enabled: boolean; public_url: string | null };
}

export interface Pages {
  current: number;
  total: number;
  next_page?: string;
}

export interface ChannelFilters {
  calendar_ids?: string[];
  only_managed?: boolean;
}

/** A push notification channel (POST/GET /v1/channels). */
export interface Channel {
  channel_id: string;
  callback_url: string;
  filters: ChannelFilters;
}

/** A calendar profile (GET /v1/profiles); profile_relink_url only when not connected. */
export interface Profile {
  provider_name: string;
  provider_service?: string;
  profile_id: string;
  profile_name: string;
  profile_connected: boolean;
  profile_relink_url?: string;
}

/** The fields of an event (GET /v1/events) the app shows. */
export interface CronofyEvent {
  calendar_id: string;
  event_uid?: string;
  summary?: string;
  start: string | { time: string; tzid?: string };
  end?: string | { time: string; tzid?: string };
  deleted?: boolean;
  updated?: string;
}
