import { DATA_CENTERS, hostsFor } from '../../src/cronofy/data-centers';
import { createCronofyClient } from '../../src/cronofy/client';

describe('hostsFor', () => {
  it('maps us to the bare hosts', () => {
    expect(hostsFor('us')).toEqual({ appUrl: 'https://app.cronofy.com', apiUrl: 'https://api.cronofy.com' });
  });

  it.each(DATA_CENTERS.filter((dc) => dc !== 'us'))('maps %s to app-%s and api-%s', (dc) => {
    expect(hostsFor(dc)).toEqual({ appUrl: `https://app-${dc}.cronofy.com`, apiUrl: `https://api-${dc}.cronofy.com` });
  });

  it('lets overrides win, one at a time', () => {
    expect(hostsFor('de', { apiUrl: 'http://localhost:3001' })).toEqual({
      appUrl: 'https://app-de.cronofy.com',
      apiUrl: 'http://localhost:3001',
    });
  });
});

describe('authorizationUrl', () => {
  it('sends the browser to the app host with every documented parameter, scope joined by %20', () => {
    const client = createCronofyClient({ hosts: hostsFor('uk'), clientId: 'cid', clientSecret: 'never-in-a-url' });
    const url = new URL(
      client.authorizationUrl({ redirect_uri: 'http://localhost:3000/oauth/callback', scope: 'read_account list_calendars', state: 'abc' }),
    );
    expect(url.origin).toBe('https://app-uk.cronofy.com');
    expect(url.pathname).toBe('/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'cid',
      redirect_uri: 'http://localhost:3000/oauth/callback',
      scope: 'read_account list_calendars',
      state: 'abc',
    });
    expect(url.search).toContain('scope=read_account%20list_calendars');
    expect(url.toString()).not.toContain('never-in-a-url');
  });
});
