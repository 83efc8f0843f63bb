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
