// Type-aware linting (CONVENTIONS.md): floating promises and misused promises are the bugs that
// bite an event-driven orchestrator, so they are errors, and the run allows zero warnings.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'jest.config.js', 'eslint.config.mjs'],
  },
  js.configs.recommended,
  {
    rules: {
      curly: ['error', 'all'],
      eqeqeq: ['error', 'always'],
    },
  },
  // The bench and helper scripts are plain CommonJS run by node (bench against the built dist/), as
  // is a package's second entry point (packages/schema/lite.js).
  {
    files: ['bench/**/*.js', 'scripts/**/*.js', 'packages/*/lite.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.all.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'require-await': 'off',
      '@typescript-eslint/require-await': 'error',
      // Other packages only through their entry point (CONVENTIONS.md): a deep path couples to a
      // file layout the owner may change, and bypasses what the package chose to export.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@canopy/*/src', '@canopy/*/src/*', '@canopy/*/dist', '@canopy/*/dist/*'],
              message: 'Import a workspace package through its entry point (@canopy/x), not a deep path.',
            },
          ],
        },
      ],
    },
  },
  // The node engine's runtime takes schema values from `@canopy/schema/lite` (no class-validator
  // at idle, issue 14 §5); the full entry only for types, or lazily where it validates.
  {
    files: ['packages/node-engine/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@canopy/schema',
              message: 'Import values from @canopy/schema/lite on the node (the full entry loads class-validator).',
              allowTypeImports: true,
            },
          ],
          patterns: [
            {
              group: ['@canopy/*/src', '@canopy/*/src/*', '@canopy/*/dist', '@canopy/*/dist/*'],
              message: 'Import a workspace package through its entry point (@canopy/x), not a deep path.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests read untyped JSON responses the way a user's script would.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
