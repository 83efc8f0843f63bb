// How the configuration classes the host of a base URL (APP_BASE_URL, PUSH_BASE_URL).

/** localhost, 127.0.0.0/8 or [::1]: the only hosts where http:// keeps traffic on the machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * A development host: loopback, or a name under a top-level domain RFC 6761 reserves (app.test,
 * calendar.localhost, *.example, *.invalid), which public DNS never resolves: it reaches an app only
 * where someone pointed it there by hand.
 */
export function isDevelopmentHost(hostname: string): boolean {
  return isLoopback(hostname) || /\.(localhost|test|example|invalid)$/i.test(hostname);
}

/** Private networks' addresses and names (RFC 1918, fc00::/7, mDNS .local, .internal). */
const PRIVATE_NETWORK = /^(10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|0\.0\.0\.0|\[::\]|\[f[cd][0-9a-f:]*\]|.*\.(local|internal))$/i;

/** True when a server on the internet could not call this origin. */
export function unreachableFromInternet(url: string): boolean {
  const host = new URL(url).hostname;
  return isDevelopmentHost(host) || PRIVATE_NETWORK.test(host);
}
