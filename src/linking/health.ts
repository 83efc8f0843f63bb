// Profile health as the calendars page shows it: each calendar profile (a Google, Microsoft 365,
// iCloud… account inside the Cronofy account), connected or not. A disconnected profile gets a
// "Reconnect" link to its profile_relink_url only when that URL is on the Cronofy app host the app
// is configured with: the link leaves the app, so it must go to Cronofy and nowhere else.
// https://docs.cronofy.com/developers/api/identity/profile/
import type { Profile } from '../cronofy/types';

export interface ProfileHealth {
  profile_id: string;
  profile_name: string;
  provider_name: string;
  connected: boolean;
  /** Set only for a disconnected profile whose relink URL is on the Cronofy app host. */
  relinkUrl?: string;
}

export const PROVIDER_LABELS: Record<string, string> = {
  google: 'Google',
  exchange: 'Microsoft 365 / Exchange',
  apple: 'iCloud',
  live_connect: 'Outlook.com',
  cronofy: 'Cronofy calendar',
};

export const providerLabel = (name: string): string => PROVIDER_LABELS[name] ?? name;

export function profileHealth(profiles: Profile[], cronofyAppOrigin: string): ProfileHealth[] {
  return profiles.map((p) => {
    const relink = p.profile_relink_url;
    const onAppHost = typeof relink === 'string' && URL.canParse(relink) && new URL(relink).origin === cronofyAppOrigin;
    return {
      profile_id: p.profile_id,
      profile_name: p.profile_name,
      provider_name: p.provider_name,
      connected: p.profile_connected !== false,
      relinkUrl: p.profile_connected === false && onAppHost ? relink : undefined,
    };
  });
}
