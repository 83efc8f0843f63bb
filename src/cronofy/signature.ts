// Cronofy-HMAC-SHA256, as Cronofy signs every callback it POSTs (push notifications, Enterprise
// Connect): https://docs.cronofy.com/developers/push-notifications/authentication/
// - the value is Base64(HMAC-SHA256(raw body bytes, client secret)), standard Base64 with padding;
// - while an application has several active client secrets the header holds one value per secret,
//   comma-separated: the request is genuine when any value matches any of our secrets;
// - values are compared in constant time, on the decoded bytes; whitespace around a value is ignored
//   (Cronofy's C# SDK trims; the others do not need to);
// - a missing, empty or oversized header is simply "not signed".

import { createHmac, timingSafeEqual } from 'node:crypto';

const MAX_HEADER_LENGTH = 2048;
const BASE64 = /^[A-Za-z0-9+/]{43}=$/;

export function cronofySignature(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

export function verifyCronofySignature(
  rawBody: Buffer | string,
  header: string | string[] | undefined,
  secrets: readonly string[],
): boolean {
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_HEADER_LENGTH) return false;
  const offered = header
    .split(',')
    .map((value) => value.trim())
    .filter((value) => BASE64.test(value))
    .map((value) => Buffer.from(value, 'base64'));
  if (offered.length === 0) return false;
  let matched = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    // Every pair is compared, so the time taken does not say which value (if any) matched.
    for (const value of offered) if (timingSafeEqual(value, expected)) matched = true;
  }
  return matched;
}
