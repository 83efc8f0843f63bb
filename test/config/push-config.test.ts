import { callbackSecrets, loadConfig } from '../../src/config';
import { problemsOf, REAL_CREDENTIALS } from '../support/config-env';

const real = { ...REAL_CREDENTIALS, REDIS_URL: 'redis://127.0.0.1:6379' };

describe('loadConfig: push notifications', () => {
  it('in sandbox mode, delivers to APP_BASE_URL (the emulator runs beside the app)', () => {
    expect(loadConfig({}).push).toEqual({ baseUrl: 'http://localhost:3000', offReason: undefined });
  });

  it('against real Cronofy with a localhost base, is off and says why and what to set', () => {
    const { push } = loadConfig({ ...real, APP_BASE_URL: 'http://localhost:3000' });
    expect(push.baseUrl).toBeUndefined();
    expect(push.offReason).toContain('Cronofy cannot reach http://localhost:3000');
    expect(push.offReason).toContain('PUSH_BASE_URL');
  });

  // Hosts others on a network can reach need NODE_ENV=production with real credentials (M13), hence https.
  it.each(['http://127.0.0.1:3000', 'https://10.1.2.3', 'https://192.168.0.5', 'https://app.test', 'https://box.local', 'http://[::1]:3000'])(
    'treats %s as unreachable from the internet',
    (base) => expect(loadConfig({ ...real, NODE_ENV: 'production', APP_BASE_URL: base }).push.baseUrl).toBeUndefined(),
  );

  it('uses a public APP_BASE_URL, or PUSH_BASE_URL (a tunnel) when set, without a trailing slash', () => {
    expect(loadConfig({ ...real, NODE_ENV: 'production', APP_BASE_URL: 'https://calendar.example.com' }).push.baseUrl).toBe('https://calendar.example.com');
    expect(loadConfig({ ...real, APP_BASE_URL: 'http://localhost:3000', PUSH_BASE_URL: 'https://abc.tunnel.example.net/hooks/' }).push.baseUrl).toBe(
      'https://abc.tunnel.example.net/hooks',
    );
  });

  it('turns push off with PUSH_BASE_URL=off', () => {
    expect(loadConfig({ PUSH_BASE_URL: 'off' }).push).toMatchObject({ baseUrl: undefined, offReason: 'PUSH_BASE_URL is set to off.' });
  });

  it('reads previous client secrets for a rotation; callbacks are checked against the current secret, then those', () => {
    const config = loadConfig({ ...real, CRONOFY_PREVIOUS_CLIENT_SECRETS: ' old1 , old2,' });
    expect(config.cronofy.previousClientSecrets).toEqual(['old1', 'old2']);
    expect(callbackSecrets(config.cronofy)).toEqual([real.CRONOFY_CLIENT_SECRET, 'old1', 'old2']);
  });

  it('reports a bad PUSH_BASE_URL, and plain http in production, naming the variable', () => {
    expect(problemsOf({ PUSH_BASE_URL: 'ftp://x' })).toEqual(['PUSH_BASE_URL must be an http(s) URL without query (got "ftp://x")']);
    expect(
      problemsOf({ ...real, NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32), APP_BASE_URL: 'https://calendar.example.com', PUSH_BASE_URL: 'http://calendar.example.com' }),
    ).toEqual(['PUSH_BASE_URL must be https when NODE_ENV=production (notifications carry calendar activity)']);
  });
});
