// Lints source text as if it were the file at a given path, with the project's eslint.config.mjs,
// and prints each file's messages as JSON. Its own process: ESLint loads the config with import(), which
// jest's module system does not allow. The type-aware rules are left out (they need a TypeScript
// program, seconds of work); everything else applies as in `npm run lint`.
// Input on stdin: [{"code": "...", "filePath": "src/..."}, ...] (paths relative to the repository);
// output: one array of {ruleId, message, line} per input, in order.
import { ESLint } from 'eslint';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let input = '';
for await (const chunk of process.stdin) input += chunk;
const files = JSON.parse(input);
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
  },
});
const out = [];
for (const { code, filePath } of files) {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  out.push(result.messages.map(({ ruleId, message, line }) => ({ ruleId, message, line })));
}
process.stdout.write(JSON.stringify(out));
