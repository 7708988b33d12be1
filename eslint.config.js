// @ts-check
import { readdirSync } from 'node:fs';

import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/*.js',
      '**/*.mjs',
      '**/fixtures/**/build/**',
      '.funless/**',
      // AssemblyScript sources (guest code, compiled by asc, not tsc): not in any tsconfig.
      'packages/sdk-assemblyscript/**',
      'packages/cli/templates/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  // Each workspace package declares what it imports in its own package.json (the workspace packages
  // included: resolving them through the root's node_modules is no declaration). The root's
  // devDependencies are the shared tooling of every package's tests; sources may not use them,
  // except the test-support package.
  ...readdirSync(new URL('packages/', import.meta.url)).map((name) => ({
    files: [`packages/${name}/**/*.ts`],
    rules: {
      'import-x/no-extraneous-dependencies': [
        'error',
        {
          packageDir: [`${import.meta.dirname}/packages/${name}`, import.meta.dirname],
          devDependencies: name === 'testing' ? true : ['**/test/**'],
          includeInternal: true,
        },
      ],
    },
  })),
  {
    // Tests read JSON bodies all day; typing every parsed response would only add noise.
    files: ['**/test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
