// Push notification settings (part of Config; see README "Push notifications"):
// - PUSH_BASE_URL: the public origin (optionally with a path) Cronofy can reach this app at, e.g. a
//   tunnel; channel callbacks are `${base}/push/<key>`. `off` turns push off.
// - Without it: sandbox mode uses APP_BASE_URL (the emulator runs beside the app); otherwise
//   APP_BASE_URL is used only when Cronofy could reach it, i.e. not localhost, a private address or
//   a reserved name (.test, .local, .localhost, .internal, .example, .invalid); else push is off and
//   `offReason` says why, for the page to show.

import { unreachableFromInternet } from './hosts';

export interface PushConfig {
  /** Base of the callback URLs; undefined when push is off. */
  readonly baseUrl: string | undefined;
  readonly offReason: string | undefined;
}


export function parsePushConfig(
  read: (name: string) => string | undefined,
  context: { sandbox: boolean; production: boolean; appBaseUrl: string },
  problems: string[],
): PushConfig {
  const raw = read('PUSH_BASE_URL');
  if (raw === 'off') return Object.freeze({ baseUrl: undefined, offReason: 'PUSH_BASE_URL is set to off.' });
  if (raw !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash) {
      problems.push(`PUSH_BASE_URL must be an http(s) URL without query (got "${raw}")`);
    } else if (context.production && url.protocol !== 'https:') {
      problems.push('PUSH_BASE_URL must be https when NODE_ENV=production (notifications carry calendar activity)');
    }
    return Object.freeze({ baseUrl: url ? url.origin + url.pathname.replace(/\/+$/, '') : undefined, offReason: undefined });
  }
  if (context.sandbox || !unreachableFromInternet(context.appBaseUrl)) {
    return Object.freeze({ baseUrl: context.appBaseUrl, offReason: undefined });
  }
  return Object.freeze({
    baseUrl: undefined,
    offReason: `Cronofy cannot reach ${context.appBaseUrl} from the internet, so it cannot deliver push notifications here. Set PUSH_BASE_URL to a public URL that forwards to this app (for example a tunnel).`,
  });
}
