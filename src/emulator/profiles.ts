// Profile health and relinking (https://docs.cronofy.com/developers/faqs/profile-reconnection-process/):
// - a test disconnects a profile (as Cronofy does after failing to sync it, e.g. a revoked Google
//   grant): /v1/profiles and /v1/userinfo report profile_connected false and a profile_relink_url,
//   and every channel of the accounts holding it gets `profile_disconnected`;
// - a sample profile may start disconnected (seed.ts): it is treated as one a test disconnected;
// - the relink URL (app role, unique per profile) shows a page where the person signs in again;
//   afterwards the profile is connected and `change` notifications flow again. Where Cronofy sends
//   the person after relinking is unconfirmed: the page says it is done and links back to the
//   application (the origin of its first registered redirect URI).
import type { Request } from 'express';
import { pagePolicy } from './authorize';
import { applicationOrigin, one, type EmulatorContext, type Handler } from './context';
import { PageError } from './errors';
import { cronofyTime } from './channels';
import type { SeedAccount, SeedProfile } from './seed';

/** Profile health: as seeded (a sample profile may start disconnected) until a disconnect or a relink changes it. */
export function createProfileHealth() {
  const changed = new Map<string, boolean>();
  return {
    connected: (profile: SeedProfile): boolean => changed.get(profile.profile_id) ?? profile.connected !== false,
    disconnect: (profileId: string): void => void changed.set(profileId, false),
    reconnect: (profileId: string): void => void changed.set(profileId, true),
  };
}

export type ProfileHealth = ReturnType<typeof createProfileHealth>;

/** The health fields of a profile in /v1/profiles and /v1/userinfo. */
export function healthJson(ctx: EmulatorContext, profile: SeedProfile): { profile_connected: boolean; profile_relink_url?: string } {
  if (ctx.profiles.connected(profile)) return { profile_connected: true };
  return { profile_connected: false, profile_relink_url: `${ctx.publicUrl}/relink/${profile.profile_id}` };
}

/** Every account that holds this profile (a linked profile sits in two). */
export function holders(ctx: EmulatorContext, profileId: string): { account: SeedAccount; profile: SeedProfile }[] {
  const accounts = [...ctx.state.world.accounts, ...ctx.state.world.organization.members.map((m) => m.account)];
  return accounts.flatMap((account) => account.profiles.filter((p) => p.profile_id === profileId).map((profile) => ({ account, profile })));
}

export function disconnectProfile(ctx: EmulatorContext, profileId: string): boolean {
  const found = holders(ctx, profileId);
  if (found.length === 0) return false;
  ctx.profiles.disconnect(profileId);
  for (const { account } of found) ctx.channels.notifyAll(account.account_id, { type: 'profile_disconnected' });
  return true;
}

/** The profile the relink URL names; a 404 page when there is none. */
function profileOf(ctx: EmulatorContext, req: Request): SeedProfile {
  const profile = holders(ctx, one(req.params.profile_id) ?? '')[0]?.profile;
  if (!profile) throw new PageError({ status: 404, heading: 'Unknown profile', text: 'This relink link names no calendar profile.' });
  return profile;
}

export const showRelink: Handler = (ctx, req, res) => {
  const profile = profileOf(ctx, req);
  if (ctx.profiles.connected(profile)) {
    return res.render('message', { heading: 'Already connected', text: `${profile.profile_name} (${profile.provider_name}) is connected; there is nothing to do.` });
  }
  res.setHeader('Content-Security-Policy', pagePolicy());
  res.render('relink', { profile });
};

export const answerRelink: Handler = (ctx, req, res) => {
  const profile = profileOf(ctx, req);
  const wasDisconnected = !ctx.profiles.connected(profile);
  ctx.profiles.reconnect(profile.profile_id);
  if (wasDisconnected) {
    // Syncing resumes: Cronofy's FAQ says change notifications then flow as normal.
    for (const { account } of holders(ctx, profile.profile_id)) ctx.channels.notifyAll(account.account_id, { type: 'change', changes_since: cronofyTime(ctx.now()) });
  }
  res.render('message', {
    heading: `${profile.profile_name} is connected again`,
    text: `Cronofy can read your ${profile.provider_name} calendars again.`,
    back: applicationOrigin(ctx), // where real Cronofy sends the person now is unconfirmed
  });
};
