// Verifies Cronofy-HMAC-SHA256 (https://docs.cronofy.com/developers/push-notifications/authentication/):
// - each value is Base64(HMAC-SHA256(key = a client secret, message = the raw body bytes));
// - during a client secret rotation the header carries one value per active secret, separated by
//   commas: accept when any value matches any secret we hold (the current one and the previous ones);
// - values are compared as bytes in constant time; a value that is not 32 bytes of standard Base64
//   counts as no match, as does a missing or empty header.
import { createHmac, timingSafeEqual } from 'node:crypto';

const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;
/** More values than any rotation needs: a header with more is refused without hashing anything. */
const MAX_VALUES = 8;

export function signatureMatches(rawBody: Buffer, header: string | undefined, secrets: readonly string[]): boolean {
  if (!header) return false;
  const values = header.split(',').map((v) => v.trim());
  if (values.length > MAX_VALUES || secrets.length === 0) return false;
  const given = values.filter((v) => BASE64_SHA256.test(v)).map((v) => Buffer.from(v, 'base64'));
  if (given.length === 0) return false;
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    // Every pair is compared, so the time taken does not say which one matched.
    for (const value of given) if (timingSafeEqual(value, expected)) matched = true;
  }
  return matched;
}
