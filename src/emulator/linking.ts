// Implicit account linking, as Cronofy documents it (https://docs.cronofy.com/developers/faqs/authorizations/):
// authorizations made from the same browser join one Cronofy account, recognised by a persistent
// cookie on the app host.
// - The first Allow in a browser without the cookie sets it; later Allows from that browser are
//   linked: the same account_id and sub, the chosen account's profiles added to the linked account.
// - One authorization per application and Cronofy account (state.ts): redeeming a code for a sub
//   that already has a live grant re-authorizes that grant instead of making a second one, from
//   this browser or any other (a second browser choosing the same sample account is the same
//   Cronofy account, which Cronofy did not link by cookie). Same refresh token by default (the FAQ's
//   title), a new one (old one dead) when the emulator is started with relinkRefreshToken: 'new'.
//   Inferred, not confirmed: the revoke endpoint names an authorization by `sub`, and
//   avoid_linking is "avoid linking calendar accounts together under one set of credentials", so
//   the credentials belong to the account, not to the browser that asked.
// - avoid_linking=true on /oauth/authorize: no cookie read or set; a separate Cronofy account (a new
//   account_id and sub, the chosen account's profiles) and its own grant.
// - Organizational units are one sub already, so a re-authorization reuses the unit's grant.
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { SeedAccount } from './seed';
import type { Subject } from './state';

export const LINK_COOKIE = 'cronofy_emulator_link';
const ONE_YEAR_S = 365 * 24 * 60 * 60;
const LINK_ID = /^[A-Za-z0-9_-]{32}$/;

export interface Linking {
  /** The subject an Allow from this browser authorizes. */
  subjectFor(req: Request, res: Response, chosen: Subject, avoid: boolean): Subject;
}

function linkIdOf(req: Request): string | undefined {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === LINK_COOKIE && value !== undefined && LINK_ID.test(value)) return value;
  }
  return undefined;
}

export function createLinking(): Linking {
  /** The linked account of each browser: a copy of its first account, profiles added as linked. */
  const accounts = new Map<string, SeedAccount>();

  return {
    subjectFor(req, res, chosen, avoid) {
      if (chosen.kind !== 'account') return chosen;
      if (avoid) {
        const account_id = `acc_${randomBytes(12).toString('hex')}`;
        return { kind: 'account', account: { ...chosen.account, account_id, profiles: [...chosen.account.profiles] } };
      }
      let link = linkIdOf(req);
      if (!link) {
        link = randomBytes(24).toString('base64url');
        res.cookie(LINK_COOKIE, link, { httpOnly: true, sameSite: 'lax', maxAge: ONE_YEAR_S * 1000, path: '/' });
      }
      let account = accounts.get(link);
      if (!account) {
        account = { ...chosen.account, profiles: [...chosen.account.profiles] };
        accounts.set(link, account);
      } else {
        const known = new Set(account.profiles.map((p) => p.profile_id));
        account.profiles.push(...chosen.account.profiles.filter((p) => !known.has(p.profile_id)));
      }
      return { kind: 'account', account };
    },
  };
}
