// The layers rule (eslint.config.mjs LAYERS, no-restricted-imports) fails on a planted violation:
// source text is linted as if it lived at a path in src/, in a child process (ESLint loads its
// config with import(), which jest's module system refuses).
import { execFile } from 'node:child_process';
import path from 'node:path';

interface Message {
  ruleId: string | null;
  message: string;
  line: number;
}

function lintAs(files: { filePath: string; code: string }[]): Promise<Message[][]> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [path.join(__dirname, '..', 'support', 'lint-text.mjs')], (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Message[][]),
    );
    child.stdin?.end(JSON.stringify(files));
  });
}

const planted = {
  'a store importing the route context': { filePath: 'src/connections/planted.ts', code: "import type { AppContext } from '../context';\nexport type X = AppContext;\n" },
  'the session module importing web middleware': { filePath: 'src/session/planted.ts', code: "import { PageError } from '../web/errors';\nexport const e = PageError;\n" },
  'the Cronofy client importing a store': { filePath: 'src/cronofy/planted.ts', code: "import type { TokenStore } from '../connections/token-store';\nexport type X = TokenStore;\n" },
  'the emulator importing the app': { filePath: 'src/emulator/planted.ts', code: "import { loadConfig } from '../config';\nexport const c = loadConfig;\n" },
};
const allowed = {
  'a route module importing a store': { filePath: 'src/pages/planted.ts', code: "import type { TokenStore } from '../connections/token-store';\nexport type X = TokenStore;\n" },
  'the configuration importing the emulator (sandbox defaults)': { filePath: 'src/config/planted.ts', code: "import { SANDBOX_CLIENT_ID } from '../emulator/types';\nexport const id = SANDBOX_CLIENT_ID;\n" },
};

let results: Message[][];
beforeAll(async () => {
  results = await lintAs([...Object.values(planted), ...Object.values(allowed)]);
}, 120_000);

describe('the layers lint rule', () => {
  it.each(Object.keys(planted).map((name, i) => [name, i] as const))('fails on %s', (_name, i) => {
    expect(results[i]).toEqual([expect.objectContaining({ ruleId: 'no-restricted-imports', line: 1 })]);
  });

  it('names the rule and the layers in its message', () => {
    expect(results[0]![0]!.message).toContain('Dependencies point one way (eslint.config.mjs LAYERS): connections, revocation may not import from');
  });

  it.each(Object.keys(allowed).map((name, i) => [name, Object.keys(planted).length + i] as const))('passes %s', (_name, i) => {
    expect(results[i]).toEqual([]);
  });
});
