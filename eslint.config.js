// ESLint flat config. The rules are chosen to catch bugs (promises nobody awaits or catches, `any`
// leaking across modules, hook misuse), not to police style: Prettier owns the layout
// (eslint-config-prettier switches off every rule that would fight it). The layering rules stay in
// tests/tools/check-architecture.ts (`npm run check:architecture`).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'test-results/**', 'playwright-report/**', 'tests/artifacts/**', '.benchline/**'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked with the tsconfig that owns it (shared/, main/, renderer/, tests/);
        // the few config files no tsconfig includes get a default project.
        projectService: { allowDefaultProject: ['renderer/vite.config.ts', 'main/electron/vite.preload.config.mts', 'main/bin/start-checks.d.mts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Promises: an unhandled rejection crashes the station or loses the error.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // An async function without await is how Fastify handlers and interface methods say "returns a promise".
      '@typescript-eslint/require-await': 'off',
      // Template literals format numbers and booleans on purpose throughout the messages.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    languageOptions: { globals: globals.browser },
  },
  {
    // Tests read HTTP bodies (`res.json()` is any) and hand deliberately malformed input to the code;
    // their assertions check the shapes. `expect(obj.method)` is not a call. The product keeps these rules.
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  // Plain JavaScript (launchers, benchmarks, this file): Node scripts, no type information.
  { files: ['**/*.{js,mjs,cjs}'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.{js,mjs,cjs}'], languageOptions: { globals: globals.node } },
  prettier,
);
