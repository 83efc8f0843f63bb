import { parse } from 'node-html-parser';
import { consent } from '../support/forms';
import type { RunningEmulator } from '../../src/emulator/types';
import { authorizeUrl, REDIRECT_URI, start } from './support';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await start();
});
afterAll(() => emulator.close());

describe('GET /oauth/authorize', () => {
  it('shows a consent page naming the application, the scopes in words and the sample accounts, setting no cookie', async () => {
    const res = await fetch(authorizeUrl(emulator));
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    const page = parse(await res.text());
    expect(page.querySelector('h1')?.text).toContain('Cronofy Connect demo');
    const scopes = page.querySelectorAll('li').map((li) => li.text);
    expect(scopes).toContain('Read the events in your calendars');
    expect(scopes).toContain('Delete events it created in your calendars');
    const labels = page.querySelectorAll('label').map((l) => l.text);
    expect(labels.join('\n')).toMatch(/Google Workspace[\s\S]*Microsoft 365[\s\S]*Enterprise Connect/);
    expect(page.querySelectorAll('button').map((b) => b.text)).toEqual(['Allow', 'Deny']);
    expect(page.querySelectorAll('script')).toHaveLength(0);
    expect(res.headers.get('content-security-policy')).toContain("form-action 'self' http://app.test");
  });

  it('answers 400 with a page and no redirect for an unknown client_id', async () => {
    const res = await fetch(authorizeUrl(emulator, { client_id: 'someone_else' }), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('Unknown application');
  });

  it('answers 400 with a page and no redirect for a redirect_uri that is not registered exactly', async () => {
    for (const redirect_uri of ['http://evil.example/oauth/callback', `${REDIRECT_URI}/`, `${REDIRECT_URI}?x=1`]) {
      const res = await fetch(authorizeUrl(emulator, { redirect_uri }), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('Redirect URI not registered');
    }
  });

  it('redirects with error=unsupported_response_type and the state for another response_type', async () => {
    const res = await fetch(authorizeUrl(emulator, { response_type: 'token' }), { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? '');
    expect(res.status).toBe(302);
    expect(location.origin + location.pathname).toBe(REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('unsupported_response_type');
    expect(location.searchParams.get('state')).toBe('st4te');
  });

  it.each([['', 'scope is required'], ['read_events fly_to_the_moon', 'unknown scope'], ['organizational_unit_scheduler read_events', 'cannot be combined']])(
    'redirects with error=invalid_scope for scope "%s"',
    async (scope, reason) => {
      const res = await fetch(authorizeUrl(emulator, { scope }), { redirect: 'manual' });
      const location = new URL(res.headers.get('location') ?? '');
      expect(location.searchParams.get('error')).toBe('invalid_scope');
      expect(location.searchParams.get('error_description')).toContain(reason);
      expect(location.searchParams.get('state')).toBe('st4te');
    },
  );

  it('offers the organizational unit for organizational_unit_scheduler', async () => {
    const res = await fetch(authorizeUrl(emulator, { scope: 'organizational_unit_scheduler' }));
    const page = parse(await res.text());
    expect(page.querySelectorAll('input[type="radio"]')).toHaveLength(1);
    expect(page.querySelector('label')?.text).toContain('Evenitron (organizational unit)');
  });
});

describe('POST /oauth/authorize', () => {
  it('Allow redirects to redirect_uri with a 32-character code and the state unaltered', async () => {
    const back = await consent(authorizeUrl(emulator, { state: 'a b/c+d=' }), { account: 'Microsoft' });
    expect(back.origin + back.pathname).toBe(REDIRECT_URI);
    expect(back.searchParams.get('code')).toMatch(/^[\x21-\x7e]{32}$/);
    expect(back.searchParams.get('state')).toBe('a b/c+d=');
  });

  it('Allow without a state sends no state back', async () => {
    const url = new URL(authorizeUrl(emulator));
    url.searchParams.delete('state');
    const back = await consent(url.toString());
    expect(back.searchParams.has('state')).toBe(false);
    expect(back.searchParams.get('code')).toBeTruthy();
  });

  it('Deny redirects with error=access_denied and the state, and no code', async () => {
    const back = await consent(authorizeUrl(emulator), { decision: 'Deny' });
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('st4te');
    expect(back.searchParams.has('code')).toBe(false);
  });

  it('checks the posted request again: a tampered redirect_uri gets a 400 page, not a redirect', async () => {
    const body = new URLSearchParams({ response_type: 'code', client_id: 'sandbox_client_id', redirect_uri: 'http://evil.example/cb', scope: 'read_events', account: 'x', decision: 'allow' });
    const res = await fetch(`${emulator.url}/oauth/authorize`, { method: 'POST', body, redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('answers 400 when no sample account is chosen', async () => {
    const body = new URLSearchParams({ response_type: 'code', client_id: 'sandbox_client_id', redirect_uri: REDIRECT_URI, scope: 'read_events', decision: 'allow' });
    const res = await fetch(`${emulator.url}/oauth/authorize`, { method: 'POST', body, redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Choose an account');
  });
});
