import { createHmac } from 'node:crypto';
import { signatureMatches } from '../../src/push/signature';

const BODY = Buffer.from('{"example":"well-known"}');
const sign = (secret: string, body: Buffer = BODY) => createHmac('sha256', secret).update(body).digest('base64');

describe('signatureMatches (Cronofy-HMAC-SHA256)', () => {
  it("accepts Cronofy's published test vectors", () => {
    expect(signatureMatches(BODY, '6r2/HjBkqymGegX0wOfifieeUXbbHwtV/LohHS+jv6c=', ['pDY0Oi7TJSP2hfNmZNkm5'])).toBe(true);
    expect(signatureMatches(BODY, '5DxentQi5YSXODEzTVv06sRwJ3pULIz1KrYv20qxEK0=', ['CRN_NggYusqPGLxwjw5FHOJYOqSrTPNXy8WQf14OID'])).toBe(true);
    expect(signatureMatches(BODY, 'QuGlxxssNDaxUjd6RY4wxGf+5KDrmobMmjkGQPtB3WQ=', ['clientSecret'])).toBe(true);
  });

  it('accepts a rotation header in either order, with or without a space after the comma', () => {
    const header = `${sign('old')},${sign('new')}`;
    expect(signatureMatches(BODY, header, ['new'])).toBe(true);
    expect(signatureMatches(BODY, `${sign('new')}, ${sign('old')}`, ['new'])).toBe(true);
    expect(signatureMatches(BODY, sign('old'), ['new', 'old'])).toBe(true);
  });

  it('refuses a missing or empty header, a wrong secret, and a body changed by one byte', () => {
    expect(signatureMatches(BODY, undefined, ['s'])).toBe(false);
    expect(signatureMatches(BODY, '', ['s'])).toBe(false);
    expect(signatureMatches(BODY, sign('other'), ['s'])).toBe(false);
    const changed = Buffer.from(BODY);
    changed.writeUInt8(changed.readUInt8(changed.length - 2) ^ 1, changed.length - 2);
    expect(signatureMatches(changed, sign('s'), ['s'])).toBe(false);
  });

  it('refuses the right HMAC in the wrong encoding (hex, base64url, unpadded)', () => {
    // Under 's0' the digest's standard Base64 has '+' and '/', so base64url really differs.
    const digest = createHmac('sha256', 's0').update(BODY).digest();
    expect(digest.toString('base64')).toMatch(/[+/]/);
    expect(signatureMatches(BODY, digest.toString('base64'), ['s0'])).toBe(true);
    expect(signatureMatches(BODY, digest.toString('hex'), ['s0'])).toBe(false);
    expect(signatureMatches(BODY, digest.toString('base64').replace(/=$/, ''), ['s0'])).toBe(false);
    expect(signatureMatches(BODY, digest.toString('base64url'), ['s0'])).toBe(false);
  });

  it('refuses a header with more values than any rotation has', () => {
    expect(signatureMatches(BODY, Array(9).fill(sign('s')).join(','), ['s'])).toBe(false);
  });
});
