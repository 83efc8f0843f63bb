// Browser-facing protections:
// - helmet with a strict CSP: scripts and styles from this origin only, no inline code, no framing;
//   form-action also allows the Cronofy app host, because POST /permissions answers with a redirect
//   to Cronofy's approval page and Chrome applies form-action across redirects;
// - HSTS and upgrade-insecure-requests only when served over https (they break http://localhost);
// - Referrer-Policy: same-origin: Cronofy never sees our URLs, and browsers still send the real
//   Origin on our own form POSTs (under no-referrer they send `Origin: null`, and a browser without
//   Fetch Metadata then fails the Origin check); the callbacks, whose URLs carry a code, answer
//   with no-referrer (noReferrer below);
// - every POST needs the synchronizer CSRF token (csrf-sync) and a same-origin Origin/Sec-Fetch-Site;
// - pages may show account data: none of them is cached.
import type { Request, RequestHandler } from 'express';
import helmet from 'helmet';
import { csrfSync } from 'csrf-sync';
import { PageError } from './errors';

export function securityHeaders(options: { https: boolean; cronofyAppOrigin: string }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'", options.cronofyAppOrigin],
        frameAncestors: ["'none'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 31536000, includeSubDomains: true } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });
}

/** For answers whose own URL carries a secret (a code): not even this site gets it as a Referer. */
export const noReferrer: RequestHandler = (_req, res, next) => {
  res.set('Referrer-Policy', 'no-referrer');
  next();
};

export const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

const csrf = csrfSync({
  getTokenFromRequest: (req: Request) => {
    const body: unknown = req.body;
    const token = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)._csrf : undefined;
    return typeof token === 'string' ? token : undefined;
  },
});

/** The session's CSRF token for a form: made on first use, kept in the session (views: csrfToken()). */
export const csrfTokenFor = (req: Request): string => csrf.generateToken(req);

const FORBIDDEN_FORM = () =>
  new PageError({
    status: 403,
    code: 'csrf_rejected',
    title: 'This form could not be accepted',
    message: 'The form was not sent from this site, or it expired (the session ended or was renewed since the page was loaded). Nothing was changed. Reload the page and try again.',
  });

/** Origin / Fetch-Metadata check, then the synchronizer token, on every unsafe method. */
export function csrfProtection(appOrigin: string): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    // Some browsers still send `Origin: null` (privacy settings, an older policy cached in the
    // page); Sec-Fetch-Site then says whether it was same-origin.
    const originOk = !origin || origin === appOrigin || (origin === 'null' && site === 'same-origin');
    if ((site && site !== 'same-origin' && site !== 'none') || !originOk) {
      return next(FORBIDDEN_FORM());
    }
    csrf.csrfSynchronisedProtection(req, res, (err?: unknown) => next(err ? FORBIDDEN_FORM() : undefined));
  };
}
