// Push notification settings (part of Config; see README "Push notifications"):
// - PUSH_BASE_URL: the public origin (optionally with a path) Cronofy can reach this app at, e.g. a
//   tunnel; channel callbacks are `${base}/push/<key>`. `off` turns push off.
// - Without it: sandbox mode uses APP_BASE_URL (the emulator runs beside the app); otherwise
//   APP_BASE_URL is used only when Cronofy could reach it, i.e. not localhost, a private address or
//   a reserved name (.test, .local, .localhost, .internal, .example, .invalid); else push is off and
//   `offReason` says why, for the page to show.

export interface PushConfig {
  /** Base of the callback URLs; undefined when push is off. */
  readonly baseUrl: string | undefined;
  readonly offReason: string | undefined;
}

const PRIVATE_HOST =
  /^(localhost|.*\.(localhost|test|local|internal|example|invalid)|127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|0\.0\.0\.0|\[::1?\]|\[f[cd][0-9a-f:]*\])$/i;

/** True when a server on the internet could not call this origin. */
export const unreachableFromInternet = (url: string): boolean => PRIVATE_HOST.test(new URL(url).hostname);

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
