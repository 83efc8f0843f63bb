import { submitForm } from '../support/forms';
import type { RunningEmulator } from '../../src/emulator/types';
import { api, PERMISSIONS_REDIRECT_URI, start, tokensFor, type TokenAnswer } from './support';

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await start();
});
afterAll(() => emulator.close());

interface CalendarJson {
  calendar_id: string;
  permission_level: string;
}
const calendarsOf = async (tokens: TokenAnswer) =>
  ((await (await api(emulator, '/v1/calendars', tokens.access_token)).json()) as { calendars: CalendarJson[] }).calendars;
const requestPermissions = (tokens: TokenAnswer, body: unknown) =>
  api(emulator, '/v1/permissions', tokens.access_token, { method: 'POST', body: JSON.stringify(body) });
const unrestricted = (ids: string[]) => ({ permissions: ids.map((calendar_id) => ({ calendar_id, permission_level: 'unrestricted' })), redirect_uri: PERMISSIONS_REDIRECT_URI });

async function approvalPage(tokens: TokenAnswer, ids: string[]): Promise<{ url: string; html: string }> {
  const res = await requestPermissions(tokens, unrestricted(ids));
  expect(res.status).toBe(200);
  const { permissions_request } = (await res.json()) as { permissions_request: { url: string } };
  expect(permissions_request.url.startsWith(`${emulator.url}/permissions/requests/`)).toBe(true);
  const page = await fetch(permissions_request.url);
  expect(page.status).toBe(200);
  return { url: permissions_request.url, html: await page.text() };
}

describe('POST /v1/permissions', () => {
  it('answers with the approval page URL; Allow grants unrestricted and redirects to redirect_uri', async () => {
    const tokens = await tokensFor(emulator, { account: 'Google' });
    const [first, second] = await calendarsOf(tokens);
    const { url, html } = await approvalPage(tokens, [first!.calendar_id]);
    expect(html).toContain('avery.quinn@northwind.example');
    const back = await submitForm(url, html, 'Allow');
    expect(back.toString()).toBe(PERMISSIONS_REDIRECT_URI);
    const after = await calendarsOf(tokens);
    expect(after.find((c) => c.calendar_id === first!.calendar_id)?.permission_level).toBe('unrestricted');
    expect(after.find((c) => c.calendar_id === second!.calendar_id)?.permission_level).toBe('sandbox');
  });

  it('Deny redirects with error=access_denied, as the docs say a rejection does, and changes nothing; the page answers only once', async () => {
    const tokens = await tokensFor(emulator, { account: 'Microsoft' });
    const [first] = await calendarsOf(tokens);
    const { url, html } = await approvalPage(tokens, [first!.calendar_id]);
    const back = await submitForm(url, html, 'Deny');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect((await calendarsOf(tokens))[0]?.permission_level).toBe('sandbox');
    expect((await fetch(url)).status).toBe(404);
    const replay = await fetch(url, { method: 'POST', body: new URLSearchParams({ decision: 'allow' }), redirect: 'manual' });
    expect(replay.status).toBe(404);
    expect((await calendarsOf(tokens))[0]?.permission_level).toBe('sandbox');
  });

  it('grants at once for the Enterprise-Connect-linked account: accepted, no URL', async () => {
    const tokens = await tokensFor(emulator, { account: 'Enterprise' });
    const [first] = await calendarsOf(tokens);
    const res = await requestPermissions(tokens, unrestricted([first!.calendar_id]));
    expect(await res.json()).toEqual({ permissions_request: { accepted: true } });
    expect((await calendarsOf(tokens))[0]?.permission_level).toBe('unrestricted');
  });

  it('answers 422 for a calendar of another account, another permission_level, no permissions or an unregistered redirect_uri', async () => {
    const mine = await tokensFor(emulator, { account: 'Google' });
    const theirs = await tokensFor(emulator, { account: 'Microsoft' });
    const [foreign] = await calendarsOf(theirs);
    const [own] = await calendarsOf(mine);
    const cases: [unknown, string][] = [
      [unrestricted([foreign!.calendar_id]), 'calendar_id'],
      [{ permissions: [{ calendar_id: own!.calendar_id, permission_level: 'root' }] }, 'permission_level'],
      [{ permissions: [] }, 'permissions'],
      [{ ...unrestricted([own!.calendar_id]), redirect_uri: 'https://evil.example/' }, 'redirect_uri'],
    ];
    for (const [body, field] of cases) {
      const res = await requestPermissions(mine, body);
      expect(res.status).toBe(422);
      expect(Object.keys(((await res.json()) as { errors: object }).errors)).toContain(field);
    }
  });

  it('answers 422 without redirect_uri when a person is to approve (the docs say it is required)', async () => {
    const tokens = await tokensFor(emulator, { account: 'Google' });
    const [own] = await calendarsOf(tokens);
    const res = await requestPermissions(tokens, { permissions: [{ calendar_id: own!.calendar_id, permission_level: 'unrestricted' }] });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ errors: { redirect_uri: [{ key: 'errors.required', description: 'required' }] } });
  });

  it('hands out the URL a test asks for, until reset', async () => {
    const tokens = await tokensFor(emulator, { account: 'Google' });
    const [first] = await calendarsOf(tokens);
    emulator.control.overridePermissionsUrl('https://evil.example/permissions');
    const body = (await (await requestPermissions(tokens, unrestricted([first!.calendar_id]))).json()) as { permissions_request: { url: string } };
    expect(body.permissions_request.url).toBe('https://evil.example/permissions');
    emulator.control.overridePermissionsUrl(null);
  });
});
