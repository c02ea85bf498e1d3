import js from '@eslint/js';
import n from 'eslint-plugin-n';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.nx/**',
      'reports/**',
      'results/**',
      'apps/front/public/vendor/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Every package declares what its code imports: an image holds only its package's production
    // dependencies, so an import that resolves through the workspace root breaks only in the container.
    files: [
      'apps/*/src/**/*.ts',
      'libs/*/src/**/*.ts',
      'infra/*/src/**/*.ts',
      'loadtests/src/**/*.ts',
      'labs/src/**/*.ts',
    ],
    plugins: { n },
    settings: { n: { tryExtensions: ['.ts', '.js', '.json'] } },
    rules: { 'n/no-extraneous-import': 'error' },
  },
  { files: ['**/*.mjs', '**/scripts/**/*.js'], languageOptions: { globals: globals.node } },
  { files: ['apps/front/public/**/*.js'], languageOptions: { globals: globals.browser } },
);
