import { ConfigError, DEFAULT_SCOPE, loadConfig } from '../../src/config';
import { startHarness } from '../support/harness';

describe('Enterprise Connect settings', () => {
  it('default to the app scope as delegated_scope and no unrestricted access', () => {
    expect(loadConfig({}).cronofy.enterprise).toEqual({ delegatedScope: DEFAULT_SCOPE, unrestrictedAccess: false });
  });

  it('read CRONOFY_ENTERPRISE_DELEGATED_SCOPE and CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS', () => {
    const config = loadConfig({ CRONOFY_ENTERPRISE_DELEGATED_SCOPE: 'read_only  free_busy', CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS: 'true' });
    expect(config.cronofy.enterprise).toEqual({ delegatedScope: 'read_only free_busy', unrestrictedAccess: true });
  });

  it('report bad values by name', () => {
    expect(() => loadConfig({ CRONOFY_ENTERPRISE_DELEGATED_SCOPE: 'read<script>', CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS: 'yes' })).toThrow(ConfigError);
    try {
      loadConfig({ CRONOFY_ENTERPRISE_DELEGATED_SCOPE: 'read<script>', CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS: 'yes' });
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        expect.stringContaining('CRONOFY_ENTERPRISE_DELEGATED_SCOPE'),
        expect.stringContaining('CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS'),
      ]);
    }
  });

  it('with unrestricted access configured, GET /connect/enterprise also asks for service_account/accounts/unrestricted_access', async () => {
    const h = await startHarness({ env: { CRONOFY_ENTERPRISE_UNRESTRICTED_ACCESS: 'true', CRONOFY_ENTERPRISE_DELEGATED_SCOPE: 'read_only' } });
    try {
      const res = await h.agent().get('/connect/enterprise').expect(302);
      const url = new URL(res.headers.location as string);
      expect(url.searchParams.get('scope')).toBe('service_account/accounts/manage service_account/accounts/unrestricted_access');
      expect(url.searchParams.get('delegated_scope')).toBe('read_only');
    } finally {
      await h.close();
    }
  });
});
