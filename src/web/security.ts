// Browser-facing protections:
// - helmet with a strict CSP: scripts and styles from this origin only, no inline code, no framing;
//   form-action also allows the Cronofy app host, because POST /permissions answers with a redirect
//   to Cronofy's approval page and Chrome applies form-action across redirects;
// - HSTS and upgrade-insecure-requests only when served over https (they break http://localhost);
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
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
}

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

/** Exposes csrfToken() to views; the token is made on first use, kept in the session. */
export const csrfTokenForViews: RequestHandler = (req, res, next) => {
  res.locals.csrfToken = () => csrf.generateToken(req);
  next();
};

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
    // Under Referrer-Policy: no-referrer browsers send `Origin: null` even for this site's own
    // forms; Sec-Fetch-Site then says whether it was same-origin.
    const originOk = !origin || origin === appOrigin || (origin === 'null' && site === 'same-origin');
    if ((site && site !== 'same-origin' && site !== 'none') || !originOk) {
      return next(FORBIDDEN_FORM());
    }
    csrf.csrfSynchronisedProtection(req, res, (err?: unknown) => next(err ? FORBIDDEN_FORM() : undefined));
  };
}
