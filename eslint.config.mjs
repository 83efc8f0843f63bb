import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { readdirSync } from 'node:fs';
import globals from 'globals';

// Dependencies point one way. Each entry of LAYERS may import from the entries before it and from
// its own folder, never from the entries after it. The emulator is an independent app: it imports
// nothing of ours, and only config/ (sandbox defaults) and the last layer (app.ts, server.ts) may import it.
const LAYERS = [
  ['cronofy', 'store', 'cache'], // the Cronofy client, the key-value store, the read cache: nothing of ours
  ['metrics'], // Prometheus counters and the /metrics listener: know the Cronofy client's types only
  ['config'], // loadConfig(env)
  ['connections', 'revocation'], // the connection record, its stores, the token refresh; the revocation queue
  ['session'], // express-session wiring and the one module that reads and writes session data
  ['inspector', 'web'], // the flow recorder; middleware, error pages, query checks
  ['push'], // push notifications: channels, the receiver, the work, live updates
  ['context'], // AppContext: what route handlers are given
  ['connect', 'calendars', 'permissions', 'organization', 'account', 'pages', 'enterprise', 'linking'], // route modules
  ['app', 'server'], // wiring and the process
];
// A folder or top-level file of src/ that no layer names would escape the rule: refuse to lint.
const unplaced = readdirSync(new URL('./src', import.meta.url))
  .map((name) => name.replace(/\.ts$/, ''))
  .filter((name) => name !== 'emulator' && !LAYERS.flat().includes(name));
if (unplaced.length > 0) throw new Error(`eslint.config.mjs: put ${unplaced.join(', ')} in a layer of LAYERS`);
const fromSrc = (names) => names.map((n) => (n === 'app' || n === 'server' || n === 'context' ? `src/${n}.ts` : `src/${n}/**`));
const layerRules = LAYERS.slice(0, -1).map((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  // Only the configuration (sandbox mode's defaults) and the process itself know the emulator.
  const forbidden = layer.includes('config') ? above : [...above, 'emulator'];
  return {
    files: fromSrc(layer),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^\\.{1,2}/(${forbidden.join('|')})(/|$)`,
              message: `Dependencies point one way (eslint.config.mjs LAYERS): ${layer.join(', ')} may not import from ${forbidden.join(', ')}.`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['node_modules', 'dist', 'coverage', 'test-artifacts', 'bench/results'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    // Type-aware: a promise nobody awaits, or one handed to something that ignores it.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  ...layerRules,
  {
    files: ['src/emulator/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./', message: 'The emulator is an independent app: it imports nothing from the rest of src/.' }] },
      ],
    },
  },
  {
    files: ['public/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' },
  },
  {
    files: ['*.js', '*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
