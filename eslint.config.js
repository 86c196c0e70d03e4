// Lint rules. src/shared runs anywhere, so it may import no node, electron or DOM modules.
import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import electronSecurity from 'eslint-plugin-electron-security';
import tseslint from 'typescript-eslint';

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
