// One reading of the emulator's settings (src/emulator/settings.ts) for `npm run emulator` and for
// the app's sandbox mode (src/config): the same variables, checks and defaults in both.
import { ConfigError, loadConfig } from '../../src/config';
import { DEFAULT_LISTEN, readEmulatorSettings } from '../../src/emulator/settings';

const configProblems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

describe('where the emulator listens', () => {
  it('is loopback port 3001 by default, for npm run emulator and sandbox mode alike', () => {
    expect(DEFAULT_LISTEN).toEqual({ port: 3001, host: '127.0.0.1' });
    const { options } = readEmulatorSettings({});
    const config = loadConfig({});
    expect([options.port, options.host]).toEqual([3001, '127.0.0.1']);
    expect([config.emulatorPort, config.emulatorHost]).toEqual([3001, '127.0.0.1']);
  });

  it('takes EMULATOR_PORT and EMULATOR_HOST the same way in both (blank counts as unset)', () => {
    const env = { EMULATOR_PORT: '4100', EMULATOR_HOST: '0.0.0.0' };
    const config = loadConfig(env);
    expect([config.emulatorPort, config.emulatorHost]).toEqual([4100, '0.0.0.0']);
    expect(readEmulatorSettings(env).options).toMatchObject({ port: 4100, host: '0.0.0.0' });
    expect(loadConfig({ EMULATOR_HOST: ' ' }).emulatorHost).toBe('127.0.0.1');
  });

  it.each([
    ['EMULATOR_PORT', '0', 'EMULATOR_PORT must be a whole number from 1 to 65535 (got "0")'],
    ['EMULATOR_PORT', 'eighty', 'EMULATOR_PORT must be a whole number from 1 to 65535 (got "eighty")'],
    ['EMULATOR_HOST', 'not a host', 'EMULATOR_HOST must be an interface address or host name, e.g. 127.0.0.1 (got "not a host")'],
  ])('refuses %s=%s with the same words in both', (name, value, problem) => {
    expect(readEmulatorSettings({ [name]: value }).problems).toEqual([problem]);
    expect(configProblems({ [name]: value })).toEqual([problem]);
  });
});

describe('npm run emulator settings', () => {
  it('reads the application, its redirect URIs and the switches, naming every bad value', () => {
    const { options, problems } = readEmulatorSettings({
      EMULATOR_CLIENT_ID: 'my_id',
      EMULATOR_REDIRECT_URIS: 'http://localhost:4000/cb, https://app.example/cb',
      EMULATOR_CONTROL_API: 'true',
      EMULATOR_RATE_LIMIT: 'false',
      EMULATOR_RELINK_REFRESH_TOKEN: 'new',
      EMULATOR_ROTATING_CLIENT_SECRETS: 'old1, old2',
    });
    expect(problems).toEqual([]);
    expect(options).toMatchObject({
      clientId: 'my_id',
      redirectUris: ['http://localhost:4000/cb', 'https://app.example/cb'],
      controlApi: true,
      rateLimit: false,
      relinkRefreshToken: 'new',
      rotatingClientSecrets: ['old1', 'old2'],
    });
    expect(readEmulatorSettings({ EMULATOR_RELINK_REFRESH_TOKEN: 'sometimes', EMULATOR_CONTROL_API: 'yes' }).problems.sort()).toEqual([
      'EMULATOR_CONTROL_API must be true or false (got "yes")',
      'EMULATOR_RELINK_REFRESH_TOKEN must be same or new (got "sometimes")',
    ]);
  });
});
