// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The dependency direction of docs/architecture.md, checked: arrows point
 * down only. Each layer lists the folders it must not import.
 */
const layers = {
  // pure foundations: know nothing of the product's services
  foundation: ['src/crypto', 'src/config', 'src/identity', 'src/db', 'src/errors', 'src/logging', 'src/util'],
  // building blocks the engines use
  blocks: ['src/accounts', 'src/shares', 'src/peers', 'src/scan', 'src/manifest', 'src/protocol', 'src/peer-client', 'src/offline'],
  // the engines
  engines: ['src/sync', 'src/restore', 'src/recovery', 'src/scheduler', 'src/incoming', 'src/monitoring', 'src/notifications', 'src/file-access', 'src/files'],
};
const above = {
  foundation: [...layers.blocks, ...layers.engines],
  blocks: layers.engines,
  engines: [],
};
const interfaces = ['api', 'cli', 'web'];

function forbid(folders, reason) {
  const names = folders.map((folder) => folder.replace(/^src\//, ''));
  return {
    patterns: [
      { group: names.flatMap((name) => [`**/${name}/*`, `**/${name}/**`]), message: reason },
      { group: ['**/app.js'], message: 'Only the CLI may import the composition root (src/app.ts).' },
    ],
  };
}

/** For a file of src/web: `leavesWeb` matches a relative import that climbs out of src/web from where the file sits, other than into src/contract. */
function webImportLimits(leavesWeb) {
  return [
    {
      regex: leavesWeb,
      message: 'The web UI uses the server only through its JSON API (src/web/api/) and the API contract (src/contract/, types only); it imports nothing else from src/.',
    },
    { regex: '^node:', message: 'The web UI runs in the browser: no node: modules.' },
  ];
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'test/e2e/screenshots/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['test/**/*.ts', 'src/**/*.test.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/crypto/**/*.ts'],
    ignores: ['src/crypto/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../*', '../**'], message: 'crypto/ is pure and imports nothing of ours.' }] }] },
  },
  // the API contract is the lowest layer, below the foundations: the server and the browser UI both import it,
  // so it holds zod schemas and nothing else (no node: module, nothing of ours outside it)
  {
    files: ['src/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*', '../**'], message: 'src/contract/ is shared with the browser UI: it imports only zod and its own files.' },
            { regex: '^node:', message: 'src/contract/ is shared with the browser UI: no node: modules.' },
          ],
        },
      ],
    },
  },
  // the browser bundle takes the contract's types, not its code: zod stays out of the UI
  {
    files: ['src/web/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/contract/*'], allowTypeImports: true, message: 'The web UI imports only types from src/contract/ (import type), so zod stays out of the bundle.' }] },
      ],
    },
  },
  ...Object.entries(layers).map(([layer, folders]) => ({
    files: folders.map((folder) => `${folder}/**/*.ts`),
    ignores: ['src/**/*.test.ts', 'src/crypto/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        forbid([...above[layer], ...interfaces.map((name) => `src/${name}`)], `The ${layer} layer must not import a layer above it (see docs/architecture.md).`),
      ],
    },
  })),
  // the web UI is an interface layer of its own, built for the browser: it talks to the server
  // through its JSON API only (src/web/api/), so it imports nothing from the rest of src/ and no node: module
  {
    files: ['src/web/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: webImportLimits('^\\.\\./(?!contract/)') }] },
  },
  {
    files: ['src/web/*/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': ['error', { patterns: webImportLimits('^\\.\\./\\.\\./(?!contract/)') }] },
  },
  {
    // the scheduler only says when: it receives runSync from the composition root and knows no other engine
    files: ['src/scheduler/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        forbid([...layers.engines.filter((folder) => folder !== 'src/scheduler'), ...interfaces.map((name) => `src/${name}`)], 'The scheduler must not import another engine; it receives runSync as a function.'),
      ],
    },
  },
  {
    files: ['src/api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', forbid(['src/cli'], 'The HTTP layer must not import the CLI.')],
    },
  },
);
