import { redactUrl, safeError } from '../../src/web/logging';
import { CronofyError } from '../../src/cronofy/errors';

describe('redactUrl', () => {
  it('F3: masks code and state but keeps the path and harmless parameters', () => {
    expect(redactUrl('/oauth/callback?code=abc123&state=xyz&error=access_denied')).toBe(
      '/oauth/callback?code=%5Bredacted%5D&state=%5Bredacted%5D&error=access_denied',
    );
  });

  it('masks every value of a repeated secret parameter and drops error_description', () => {
    const url = redactUrl('/x?state=a&state=b&error_description=%3Cscript%3E');
    expect(url).toBe("/x?state=%5Bredacted%5D&error_description=%5Bomitted%5D");
  });

  it('leaves a URL without a query alone', () => {
    expect(redactUrl('/calendars')).toBe('/calendars');
  });
});

describe('safeError', () => {
  it('keeps only name, message, code and status: never the request behind an error', () => {
    const err = Object.assign(new Error('boom'), { config: { headers: { Authorization: 'Bearer secret' }, data: 'client_secret=s' } });
    expect(JSON.stringify(safeError(err))).not.toMatch(/secret/);
  });

  it('reports a CronofyError with its status and endpoint', () => {
    const err = new CronofyError('unavailable', 'down', { status: 503, endpoint: 'GET /v1/calendars' });
    expect(safeError(err)).toMatchObject({ type: 'CronofyError', status: 503, endpoint: 'GET /v1/calendars' });
  });
});
