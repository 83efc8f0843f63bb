// More calendar accounts in one Cronofy account, and the authorize parameters that steer it:
// - POST /v1/link_tokens (an account's token, no body): 200 {"link_token"}; the token is single
//   use and lives 10 minutes (its real lifetime is unconfirmed, only "temporary").
//   https://docs.cronofy.com/developers/api-alpha/explicit-linking/
// - link_token on /oauth/authorize: the calendar account the person picks joins the token's
//   account; the code is for that account (same sub) and linking_profile names the profile added.
// - provider_name pre-selects the first sample account of that provider (or service).
// - avoid_linking (true/false, any case) is accepted and carried through the form.
import { accountWith } from './bearer';
import { one, type EmulatorContext, type Handler } from './context';
import { randomToken, type Subject } from './state';
import type { SeedAccount, World } from './seed';

const LINK_TOKEN_TTL_MS = 10 * 60_000;

export function createLinkTokens(world: World, now: () => number = Date.now) {
  const tokens = new Map<string, { accountId: string; expiresAt: number }>();
  const find = (token: string): SeedAccount | undefined => {
    const entry = tokens.get(token);
    if (!entry || entry.expiresAt <= now()) return undefined;
    return world.accounts.find((a) => a.account_id === entry.accountId);
  };
  return {
    issue(accountId: string): string {
      const token = randomToken();
      tokens.set(token, { accountId, expiresAt: now() + LINK_TOKEN_TTL_MS });
      return token;
    },
    /** The account a live token links into; the token stays. */
    peek: find,
    /** The chosen account's profiles join the token's account (the sample world changes; reset restores it); the token is used up. */
    link(token: string, chosen: SeedAccount): Subject | undefined {
      const target = find(token);
      tokens.delete(token);
      if (!target) return undefined;
      for (const profile of chosen.profiles) if (!target.profiles.some((p) => p.profile_id === profile.profile_id)) target.profiles.push(profile);
      return { kind: 'account', account: target, linkingProfile: chosen.profiles[0] };
    },
  };
}

export type LinkTokens = ReturnType<typeof createLinkTokens>;

export interface LinkingParams {
  hidden: Record<string, string>;
  /** The account a link_token joins the chosen one to. */
  into?: SeedAccount;
  providerName?: string;
}

/** The linking parameters of an authorize request; an error when link_token is unknown or expired. */
export function linkingParams(ctx: EmulatorContext, params: Record<string, unknown>): LinkingParams | { error: string } {
  const hidden: Record<string, string> = {};
  const linkToken = one(params.link_token);
  let into: SeedAccount | undefined;
  if (linkToken) {
    into = ctx.linkTokens.peek(linkToken);
    if (!into) return { error: 'link_token is unknown, used or expired' };
    hidden.link_token = linkToken;
  }
  const providerName = one(params.provider_name) || undefined;
  if (providerName) hidden.provider_name = providerName;
  const avoid = one(params.avoid_linking)?.toLowerCase();
  if (avoid === 'true' || avoid === 'false') hidden.avoid_linking = avoid;
  return { hidden, into, providerName };
}

/** Index of the first choice whose account has a profile of this provider (name or service); 0 when none. */
export function preselected(choices: { subject: Subject }[], providerName: string | undefined): number {
  if (!providerName) return 0;
  const at = choices.findIndex(
    ({ subject }) => subject.kind === 'account' && subject.account.profiles.some((p) => p.provider_name === providerName || p.provider_service === providerName),
  );
  return Math.max(0, at);
}

export const issueLinkToken: Handler = (ctx, _req, res) => {
  const account = accountWith(res, null);
  res.json({ link_token: ctx.linkTokens.issue(account.account_id) });
};
