import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import jsoncParser from 'jsonc-eslint-parser';
import prettier from 'eslint-config-prettier';

export default [
  { ignores: ['**/node_modules/**', 'dist/**', 'tmp/**', 'coverage/**', '.nx/**', '**/files/**'] },
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The core runs where there is no Nx: the command line, Turborepo, a CI script.
    files: ['packages/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['nx', 'nx/*', '@nx/*'],
              message: '@acme/pg-core runs without Nx: put Nx code in packages/pg.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='require'][arguments.0.value=/^(nx|@nx)(\\/|$)/]",
          message: '@acme/pg-core runs without Nx: put Nx code in packages/pg.',
        },
      ],
    },
  },
  {
    // CommonJS scripts (bench runners) load modules with require().
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Checks generators.json / executors.json / package.json of the plugin against the code.
    files: [
      'packages/pg/package.json',
      'packages/pg/generators.json',
      'packages/pg/executors.json',
    ],
    languageOptions: { parser: jsoncParser },
    plugins: { '@nx': nx },
    rules: { '@nx/nx-plugin-checks': 'error' },
  },
];
