// Lint rules. Each layer imports only what it may (see the boundaries below): src/shared runs
// anywhere, so it may import no node, electron or DOM modules; and no source file grows past
// 400 lines of code.
import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import electronSecurity from 'eslint-plugin-electron-security';
import tseslint from 'typescript-eslint';

/** Imports a layer may not make: `from` names the layer, for the message. */
function boundaries(...rules) {
  return {
    'no-restricted-imports': [
      'error',
      { patterns: rules.map(([group, message]) => ({ group, message })) },
    ],
  };
}
const NO_ELECTRON = [
  ['electron', 'electron/*'],
  'only src/main/electron and src/main/index.ts use electron.',
];
const NO_SERVER = [
  ['**/server/**'],
  'the server is its own program: only src/main/local-server.ts starts it.',
];
const NO_MAIN = [['**/main/**', '**/preload/**'], 'the server imports nothing of the desktop.'];
const NO_RENDERER = [
  ['**/renderer/**'],
  'the renderer is the page: other layers reach it only over IPC.',
];
const NO_NODE_IN_PAGE = [
  ['node:*', '**/main/**', '**/server/**', '**/preload/**'],
  'the page reaches main only through the bridge (src/renderer/src/bridge).',
];
const NO_FEATURES = [
  ['**/features/**'],
  'state/ is below the features: pass what it needs in as a port.',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'out/',
      'dist/',
      'bench/results/',
      'coverage/',
      // Deliberately insecure code that electronegativity must flag; never built.
      'tests/security/fixtures/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  // Electron's security checklist, every rule an error (the strict preset): a finding fails
  // `npm test` unless fixed, or disabled on its line with the reason beside it.
  {
    ...electronSecurity.configs.strict,
    files: ['src/main/**/*.ts', 'src/preload/**/*.ts'],
  },
  {
    files: ['src/main/**/*.ts'],
    rules: {
      // src/main/core/external-url.ts: http, https and mailto only, no lookalikes.
      'electron-security/no-open-external-with-dynamic-url': [
        'error',
        { urlValidators: ['openableExternalUrl'] },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  // Size: six thousand-line modules were split (issue 19); this keeps any from growing back.
  // Contracts (the wire types and the IPC contract) are long by nature, and so are test tables.
  {
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/**/*.test.ts', 'src/shared/protocol.ts', 'src/shared/ipc.ts'],
    rules: { 'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }] },
  },
  // Boundaries between layers (architecture.md). A later block replaces an earlier one's list for
  // the files both match, so each list is whole.
  { files: ['src/server/**/*.ts'], rules: boundaries(NO_MAIN, NO_RENDERER, NO_ELECTRON) },
  { files: ['src/main/**/*.ts'], rules: boundaries(NO_SERVER, NO_RENDERER) },
  { files: ['src/main/core/**/*.ts'], rules: boundaries(NO_SERVER, NO_RENDERER, NO_ELECTRON) },
  // The embedded server: the one place the desktop starts it.
  { files: ['src/main/local-server.ts'], rules: boundaries(NO_RENDERER) },
  { files: ['src/preload/**/*.ts'], rules: boundaries(NO_SERVER, NO_RENDERER) },
  { files: ['src/renderer/**/*.{ts,tsx}'], rules: boundaries(NO_NODE_IN_PAGE, NO_ELECTRON) },
  {
    files: ['src/renderer/src/state/**/*.ts'],
    rules: boundaries(NO_NODE_IN_PAGE, NO_ELECTRON, NO_FEATURES),
  },
  {
    files: ['src/shared/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'electron', 'electron/*'],
              message: 'src/shared runs anywhere: no node or electron.',
            },
            {
              group: ['fs', 'path', 'os', 'crypto', 'http', 'net', 'events', 'buffer', 'stream'],
              message: 'src/shared runs anywhere: no node built-ins.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'Buffer', 'require'],
    },
  },
);
