import { cronofySignature, verifyCronofySignature } from '../../src/cronofy/signature';

// Cronofy's published vector: https://docs.cronofy.com/developers/push-notifications/authentication/
const BODY = '{"example":"well-known"}';
const SECRET_1 = 'CRN_NggYusqPGLxwjw5FHOJYOqSrTPNXy8WQf14OID';
const HMAC_1 = '5DxentQi5YSXODEzTVv06sRwJ3pULIz1KrYv20qxEK0=';
const SECRET_2 = 'CRN_nGlYDFXwfSXgB9rvGNBJyfE454GGPtWIbNuPwr';
const HMAC_2 = 'BmQmWVuZ70ILWjr1CAt5oC7YOolgnku4WZtlrKfx/6k=';

describe('verifyCronofySignature', () => {
  it("computes Cronofy's documented value for the well-known body", () => {
    expect(cronofySignature(BODY, SECRET_1)).toBe(HMAC_1);
    expect(cronofySignature(Buffer.from(BODY), SECRET_2)).toBe(HMAC_2);
  });

  it('accepts the single value of a single secret', () => {
    expect(verifyCronofySignature(Buffer.from(BODY), HMAC_1, [SECRET_1])).toBe(true);
  });

  it('accepts a comma-separated header during secret rotation, whichever secret we hold', () => {
    const header = `${HMAC_1},${HMAC_2}`;
    expect(verifyCronofySignature(BODY, header, [SECRET_1])).toBe(true);
    expect(verifyCronofySignature(BODY, header, [SECRET_2])).toBe(true);
    expect(verifyCronofySignature(BODY, `${HMAC_2}, ${HMAC_1}`, ['other', SECRET_1])).toBe(true);
  });

  it('refuses a missing, empty, repeated or garbage header', () => {
    expect(verifyCronofySignature(BODY, undefined, [SECRET_1])).toBe(false);
    expect(verifyCronofySignature(BODY, '', [SECRET_1])).toBe(false);
    expect(verifyCronofySignature(BODY, [HMAC_1, HMAC_1], [SECRET_1])).toBe(false);
    expect(verifyCronofySignature(BODY, 'not base64 at all', [SECRET_1])).toBe(false);
    expect(verifyCronofySignature(BODY, `${HMAC_1.slice(0, 20)}`, [SECRET_1])).toBe(false);
    expect(verifyCronofySignature(BODY, `${HMAC_1},`.repeat(100), [SECRET_1])).toBe(false);
  });

  it('refuses a value made with another secret, or over another body', () => {
    expect(verifyCronofySignature(BODY, HMAC_2, [SECRET_1])).toBe(false);
    expect(verifyCronofySignature(`${BODY} `, HMAC_1, [SECRET_1])).toBe(false);
    expect(verifyCronofySignature(BODY, HMAC_1, [])).toBe(false);
    expect(verifyCronofySignature(BODY, HMAC_1, [''])).toBe(false);
  });
});
