import { DEFAULT_SCOPE, loadConfig } from '../../src/config';
import { problemsOf } from '../support/config-env';

const production = {
  NODE_ENV: 'production',
  CRONOFY_CLIENT_ID: 'id',
  CRONOFY_CLIENT_SECRET: 'secret',
  REDIS_URL: 'redis://127.0.0.1:6379',
  SESSION_SECRET: 'x'.repeat(32),
  APP_BASE_URL: 'https://calendar.example.com',
};

describe('loadConfig', () => {
  it('starts in sandbox mode with the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.sandbox).toBe(true);
    expect(config.port).toBe(3000);
    expect(config.appBaseUrl).toBe('http://localhost:3000');
    expect(config.cronofy.dataCenter).toBe('us');
    expect(config.cronofy.scope).toBe(DEFAULT_SCOPE);
    expect(config.secureCookies).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('is not in sandbox mode once a client id is set, and then needs Redis', () => {
    expect(problemsOf({ CRONOFY_CLIENT_ID: 'id', CRONOFY_CLIENT_SECRET: 's', SESSION_SECRET: 'x'.repeat(32) })).toEqual([
      'Redis is required outside sandbox mode: set REDIS_URL, REDIS_SENTINELS with REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES',
    ]);
  });

  it('accepts a complete production configuration with secure cookies', () => {
    const config = loadConfig(production);
    expect(config.sandbox).toBe(false);
    expect(config.secureCookies).toBe(true);
  });

  it('reports every bad variable at once, each by name', () => {
    const problems = problemsOf({
      ...production,
      PORT: 'eighty',
      CRONOFY_DATA_CENTER: 'eu',
      SESSION_SECRET: 'short',
      CRONOFY_API_URL: 'ftp://nope',
      REDIS_URL: 'localhost:6379',
    });
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/CRONOFY_DATA_CENTER must be one of us, uk, de, au, ca, sg \(got "eu"\)/);
    expect(problems.join('\n')).toMatch(/SESSION_SECRET/);
    expect(problems.join('\n')).toMatch(/CRONOFY_API_URL/);
    expect(problems.join('\n')).toMatch(/REDIS_URL must start with redis:\/\//);
    expect(problems).toHaveLength(5);
  });

  it('refuses sandbox mode in production', () => {
    expect(problemsOf({ NODE_ENV: 'production', REDIS_URL: 'redis://x', SESSION_SECRET: 'x'.repeat(32) })).toContain(
      'CRONOFY_CLIENT_ID is required when NODE_ENV=production (sandbox mode is for development only)',
    );
  });

  it('needs the secret with the client id', () => {
    expect(problemsOf({ CRONOFY_CLIENT_ID: 'id', REDIS_URL: 'redis://x', SESSION_SECRET: 'x'.repeat(32) })).toEqual([
      'CRONOFY_CLIENT_SECRET is required when CRONOFY_CLIENT_ID is set',
    ]);
  });

  it('fails a Redis command after 1 s unless REDIS_COMMAND_TIMEOUT_MS says otherwise, and refuses a bad value by name', () => {
    expect(loadConfig(production).redisCommandTimeoutMs).toBe(1000);
    expect(loadConfig({ ...production, REDIS_COMMAND_TIMEOUT_MS: '5000' }).redisCommandTimeoutMs).toBe(5000);
    for (const bad of ['0', '-1', '1.5', 'soon']) {
      expect(problemsOf({ ...production, REDIS_COMMAND_TIMEOUT_MS: bad })).toEqual([`REDIS_COMMAND_TIMEOUT_MS must be a whole number above 0 (got "${bad}")`]);
    }
  });

  it('treats empty values as unset', () => {
    const config = loadConfig({ CRONOFY_APP_URL: '', CRONOFY_API_URL: ' ', CRONOFY_DATA_CENTER: '' });
    expect(config.cronofy.appUrl).toBeUndefined();
    expect(config.cronofy.apiUrl).toBeUndefined();
    expect(config.cronofy.dataCenter).toBe('us');
  });

  it('accepts every data center, case-insensitively', () => {
    for (const dc of ['us', 'UK', 'de', 'au', 'ca', 'SG']) {
      expect(loadConfig({ CRONOFY_DATA_CENTER: dc }).cronofy.dataCenter).toBe(dc.toLowerCase());
    }
  });

  it('rejects an APP_BASE_URL with a path and a token key of the wrong size', () => {
    const problems = problemsOf({ APP_BASE_URL: 'http://localhost:3000/app', TOKEN_ENCRYPTION_KEY: 'c2hvcnQ=' });
    expect(problems).toEqual([
      'APP_BASE_URL must be an origin without a path (got "http://localhost:3000/app")',
      'TOKEN_ENCRYPTION_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)',
    ]);
  });

  it('reads TRUST_PROXY as the proxies\' addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5' }).trustProxy).toBe('10.0.0.5');
    expect(loadConfig({ TRUST_PROXY: 'fd00::1' }).trustProxy).toBe('fd00::1');
  });

  it.each(['1', '2', 'true', 'loopback, 1', 'my proxy'])('refuses TRUST_PROXY=%s (a direct client could pick its own address), naming the variable', (value) => {
    const problems = problemsOf({ TRUST_PROXY: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^TRUST_PROXY must list the proxy's addresses/);
  });
});

describe('safe defaults', () => {
  it('M13: requires SESSION_SECRET outside sandbox mode whatever NODE_ENV says', () => {
    for (const NODE_ENV of [undefined, 'development', 'test']) {
      const env: Record<string, string> = { CRONOFY_CLIENT_ID: 'id', CRONOFY_CLIENT_SECRET: 's', REDIS_URL: 'redis://x' };
      if (NODE_ENV) env.NODE_ENV = NODE_ENV;
      const problems = problemsOf(env);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^SESSION_SECRET is required/);
    }
    expect(loadConfig({}).sandbox).toBe(true); // sandbox mode keeps its development secret
  });

  it.each(['https://calendar.example.com', 'http://10.0.0.5:3000', 'http://calendar.local', 'https://abc.tunnel.example.net', 'http://test:3000', 'http://example'])(
    'M13: refuses real credentials without NODE_ENV=production when APP_BASE_URL is not a development host (%s), naming the variable',
    (url) => {
      for (const NODE_ENV of [undefined, 'development']) {
        const env: Record<string, string> = { ...production, APP_BASE_URL: url };
        if (NODE_ENV) env.NODE_ENV = NODE_ENV;
        else delete env.NODE_ENV;
        const problems = problemsOf(env);
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(/^NODE_ENV=production is required with real Cronofy credentials when APP_BASE_URL is not a development host/);
      }
    },
  );

  it.each(['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000', 'http://app.test', 'https://calendar.localhost'])(
    'accepts real credentials in development on this machine or a reserved testing name (%s)',
    (url) => {
      const env: Record<string, string> = { ...production, NODE_ENV: 'development', APP_BASE_URL: url };
      expect(problemsOf(env)).toEqual([]);
      expect(loadConfig(env).sandbox).toBe(false);
    },
  );

  it.each(['http://calendar.example.com', 'http://10.0.0.5:3000', 'http://[2001:db8::1]'])(
    'M13: refuses an http APP_BASE_URL on a public host in production (%s), naming the variable',
    (url) => {
      const problems = problemsOf({ ...production, APP_BASE_URL: url });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^APP_BASE_URL must be https:\/\/ when NODE_ENV=production/);
    },
  );

  it.each(['http://localhost:3000', 'http://127.0.0.1:8080', 'http://127.8.9.10', 'http://[::1]:3000'])(
    'accepts an http APP_BASE_URL on a loopback host in production (%s)',
    (url) => {
      expect(problemsOf({ ...production, APP_BASE_URL: url })).toEqual([]);
    },
  );

  it('turns the inspector on in development, off in production unless INSPECTOR=true', () => {
    expect(loadConfig({}).inspector).toBe(true);
    expect(loadConfig(production).inspector).toBe(false);
    expect(loadConfig({ ...production, INSPECTOR: 'true' }).inspector).toBe(true);
    expect(loadConfig({ INSPECTOR: 'false' }).inspector).toBe(false);
    expect(problemsOf({ INSPECTOR: 'yes' })).toEqual(['INSPECTOR must be true or false (got "yes")']);
  });

  it('reads HOST as the interface to bind, every interface when unset', () => {
    expect(loadConfig({}).host).toBeUndefined();
    expect(loadConfig({ HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(problemsOf({ HOST: 'a b' })[0]).toMatch(/^HOST must be/);
  });
});
