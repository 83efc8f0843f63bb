// The endpoint table (src/emulator/endpoints.ts) is what the emulator serves and what
// docs/emulator.md lists: the router is built from it, and the docs' table must be its rendering.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ENDPOINTS, type Endpoint } from '../../src/emulator/endpoints';
import { NOT_SERVED } from '../../src/emulator/errors';
import type { RunningEmulator } from '../../src/emulator/types';
import { start, tokensFor } from './support';

const DOCS = path.join(__dirname, '..', '..', 'docs', 'emulator.md');
const BEGIN = '<!-- endpoints: rendered from src/emulator/endpoints.ts; test/emulator/endpoints.test.ts checks it -->';
const END = '<!-- /endpoints -->';

const docsPath = (endpoint: Endpoint) => endpoint.path.replace(/:(\w+)/g, '{$1}');

/** The docs' table, exactly as it should read. */
function rendered(): string {
  const rows = ENDPOINTS.map((e) => `| \`${e.method}\` | \`${docsPath(e)}\` | ${e.role} | ${e.summary} |`);
  return ['| Method | Path | Role | What it does |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

describe('the endpoint table', () => {
  it('is what docs/emulator.md lists, row for row', () => {
    const docs = readFileSync(DOCS, 'utf8');
    const [, after] = docs.split(BEGIN);
    const section = after?.split(END)[0]?.trim();
    // On a mismatch, the expected text is the table to paste between the markers.
    expect(section).toBe(rendered());
  });

  it('names each method and path once', () => {
    const keys = ENDPOINTS.map((e) => `${e.method} ${e.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  describe('is what the emulator serves', () => {
    let emulator: RunningEmulator;
    let plain: RunningEmulator;
    let token: string;
    beforeAll(async () => {
      emulator = await start({ controlApi: true, playground: true });
      plain = await start();
      token = (await tokensFor(emulator)).access_token;
    });
    afterAll(async () => {
      await emulator.close();
      await plain.close();
    });

    /** Whether `target` answers the endpoint (with a made-up path parameter) as a path it does not serve. */
    async function notServed(target: RunningEmulator, endpoint: Endpoint): Promise<boolean> {
      const res = await fetch(`${target.url}${endpoint.path.replace(/:(\w+)/g, 'x')}`, {
        method: endpoint.method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(endpoint.method === 'GET' ? {} : { body: '{}' }),
      });
      return res.status === 404 && (await res.text()).includes(NOT_SERVED);
    }

    // In table order: reset, which ends the token's grant, comes last.
    it.each(ENDPOINTS.map((e) => [`${e.method} ${docsPath(e)}`, e] as const))('%s', async (_name, endpoint) => {
      expect(await notServed(emulator, endpoint)).toBe(false);
    });

    it('serves the test control and the playground only when asked to', async () => {
      const optional = ENDPOINTS.filter((e) => e.role === 'control' || e.role === 'playground');
      const served = await Promise.all(optional.map(async (e) => [`${e.method} ${e.path}`, !(await notServed(plain, e))]));
      expect(served).toEqual(optional.map((e) => [`${e.method} ${e.path}`, false]));
    });
  });
});
