// Sandbox mode with no Redis answering: sessions, tokens and pending states live in the process
// (src/store/memory-kv.ts and express-session's MemoryStore), and every page says so.
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { sandboxConfig } from '../../src/config/sandbox';
import { startEmulator } from '../../src/emulator';
import type { RunningEmulator } from '../../src/emulator/types';
import { createMemoryStore } from '../../src/store/memory-kv';
import { createLogger } from '../../src/web/logging';
import { connectThrough } from '../support/harness';

const BASE = 'http://app.test';
let emulator: RunningEmulator;
let clock = Date.now();
let app: ReturnType<typeof createApp>;
const logs: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ rateLimit: false, redirectUris: [`${BASE}/oauth/callback`, `${BASE}/permissions/callback`] });
  const config = sandboxConfig(loadConfig({ APP_BASE_URL: BASE }), emulator.url);
  app = createApp({
    config,
    logger: createLogger('debug', { write: (line: string) => void logs.push(line) }),
    kv: createMemoryStore(() => clock),
    redis: null,
    now: () => clock,
    sandbox: { emulatorUrl: emulator.url, memoryStore: true },
  });
});
afterAll(() => emulator.close());

describe('sandbox mode without Redis', () => {
  it('says on every page that sessions live in this process', async () => {
    const home = await request(app).get('/').expect(200);
    expect(home.text).toContain('Sandbox mode.');
    expect(home.text).toContain('No Redis answered, so sessions live in this process');
  });

  it('runs Individual Connect, refreshes once for concurrent requests, and disconnects', async () => {
    const agent = request.agent(app);
    const callback = await connectThrough(agent);
    expect(callback.status).toBe(302);
    expect(callback.headers.location).toBe('/calendars');
    await agent.get('/calendars').expect(200);

    emulator.control.clearRequests();
    clock += 2 * 60 * 60 * 1000;
    const pages = await Promise.all(Array.from({ length: 10 }, () => agent.get('/calendars')));
    expect(pages.map((p) => p.status)).toEqual(Array(10).fill(200));
    const refreshes = emulator.control.requests().filter((r) => r.path === '/oauth/token');
    expect(refreshes).toHaveLength(1);

    const token = /name="_csrf" value="([^"]+)"/.exec((await agent.get('/').expect(200)).text)?.[1] ?? '';
    await agent.post('/disconnect').type('form').send({ _csrf: token }).expect(302);
    await agent.get('/calendars').expect(302).expect('Location', '/?notice=connect-calendar');
  });
});
