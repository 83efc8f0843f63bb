// Values that carry a token or personal data (token records, queued revocations, cached answers
// from Cronofy) are sealed with AES-256-GCM when TOKEN_ENCRYPTION_KEY is set, and stored as JSON
// text otherwise. A sealed value is `enc:` + base64(iv, tag, ciphertext); one without the prefix
// is read as plain JSON text, so setting the key later leaves earlier values readable.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export function seal(json: string, key: Buffer | undefined): string {
  if (!key) return json;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
  return `enc:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

/** The JSON text; throws when it cannot be opened (the key missing or changed). */
export function open(payload: string, key: Buffer | undefined): string {
  if (!payload.startsWith('enc:')) return payload;
  if (!key) throw new Error('the value is encrypted but TOKEN_ENCRYPTION_KEY is not set');
  const raw = Buffer.from(payload.slice(4), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
