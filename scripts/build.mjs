// npm run build: the production build. Compiles src/ with tsc (type-checked, tsconfig.build.json)
// into a fresh dist/, then copies the emulator's views and stylesheet beside its compiled code.
// The app's own views/ and public/ stay at the top level: dist/app.js finds them at ../views and
// ../public, as src/app.ts does, so the same paths work from source and from the build.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(dist, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error('build: tsc failed');
  process.exit(compiled.status ?? 1);
}
for (const dir of ['views', 'assets']) {
  cpSync(path.join(root, 'src', 'emulator', dir), path.join(dist, 'emulator', dir), { recursive: true });
}
