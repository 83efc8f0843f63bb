// Implicit account linking, as Cronofy documents it (https://docs.cronofy.com/developers/faqs/authorizations/):
// authorizations made from the same browser join one Cronofy account, recognised by a persistent
// cookie on the app host.
// - The first Allow in a browser without the cookie sets it; later Allows from that browser are
//   linked: the same account_id and sub, the chosen account's profiles added to the linked account.
// - Redeeming a linked code re-authorizes the browser's live grant for that sub instead of making a
//   second one: same refresh token by default (the FAQ's title), a new one (old one dead) when the
//   emulator is started with relinkRefreshToken: 'new'.
// - avoid_linking=true on /oauth/authorize: no cookie read or set; a separate Cronofy account (a new
//   account_id and sub, the chosen account's profiles) and its own grant.
// - Organizational units are one sub already; a linked re-authorization reuses the unit's grant.
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { SeedAccount } from './seed';
import type { Grant, Subject } from './state';

export const LINK_COOKIE = 'cronofy_emulator_link';
const ONE_YEAR_S = 365 * 24 * 60 * 60;
const LINK_ID = /^[A-Za-z0-9_-]{32}$/;

export interface Linking {
  /** The subject an Allow from this browser authorizes, and the link it belongs to (none when avoiding). */
  subjectFor(req: Request, res: Response, chosen: Subject, avoid: boolean): { subject: Subject; link?: string };
  /** The live grant this link already holds for the subject's sub, if any. */
  grantFor(link: string, sub: string): Grant | undefined;
  remember(link: string, sub: string, grant: Grant): void;
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
  const grants = new Map<string, Grant>();

  return {
    subjectFor(req, res, chosen, avoid) {
      if (chosen.kind !== 'account') return avoid ? { subject: chosen } : { subject: chosen, link: linkIdOf(req) };
      if (avoid) {
        const account_id = `acc_${randomBytes(12).toString('hex')}`;
        return { subject: { kind: 'account', account: { ...chosen.account, account_id, profiles: [...chosen.account.profiles] } } };
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
      return { subject: { kind: 'account', account }, link };
    },

    grantFor(link, sub) {
      const grant = grants.get(`${link} ${sub}`);
      return grant && !grant.revoked ? grant : undefined;
    },

    remember(link, sub, grant) {
      grants.set(`${link} ${sub}`, grant);
    },
  };
}
