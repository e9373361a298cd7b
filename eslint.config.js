// SPDX-License-Identifier: Apache-2.0
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/src/gen/**',
      '.chaosplane/**',
      'coverage/**',
      '**/*.js',
      '**/*.mjs',
      '**/.tutorial-*/**',
      // Plugin templates are built and tested as scaffolded packages (scripts/check-scaffold.sh).
      'packages/cli/templates/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.test.json', './packages/*/tsconfig.json', './examples/*/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      // With noUncheckedIndexedAccess an index access is `T | undefined`; a `!` on one documents
      // an invariant (commented where it is not obvious) rather than hiding a type: allowed.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // 15 paths (ESLint's default is 20) is about what one test file covers case by case, and 80
      // lines of code (blank lines and comments aside) is what reads on one screen. `complexity`
      // counts each function on its own, a nested one's paths never its parent's; but
      // `max-lines-per-function` counts a function's whole body, the functions it defines
      // included: a factory closure whose methods add up to more than 80 lines is over the limit
      // and is split into named module-level steps.
      complexity: ['error', 15],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['**/test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // A test's describe() holds its cases: its length is theirs, not one function's.
      'max-lines-per-function': 'off',
      complexity: 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
