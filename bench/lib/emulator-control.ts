// The emulator runs in its own process: it is steered over its control API (/__emulator/*).
import type { RecordedRequest } from '../../src/emulator/types';

export async function clearRequests(emulatorUrl: string): Promise<void> {
  const answer = await fetch(`${emulatorUrl}/__emulator/requests`, { method: 'DELETE' });
  if (answer.status !== 204) throw new Error(`clearing emulator requests answered ${answer.status}`);
}

export async function recordedRequests(emulatorUrl: string): Promise<RecordedRequest[]> {
  const answer = await fetch(`${emulatorUrl}/__emulator/requests`);
  if (answer.status !== 200) throw new Error(`reading emulator requests answered ${answer.status}`);
  return (await answer.json()) as RecordedRequest[];
}

export async function expireAccessTokens(emulatorUrl: string): Promise<void> {
  const answer = await fetch(`${emulatorUrl}/__emulator/expire-access-tokens`, { method: 'POST' });
  if (answer.status !== 204) throw new Error(`expiring tokens answered ${answer.status}`);
}

export const isRefresh = (r: RecordedRequest): boolean =>
  r.method === 'POST' && r.path === '/oauth/token' && typeof r.body === 'object' && r.body !== null && (r.body as { grant_type?: unknown }).grant_type === 'refresh_token';
