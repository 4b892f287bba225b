// The lint step of `npm test` (scripts/test.sh): typescript-eslint with type information, for
// what the compiler lets through — promises nobody awaits or handles, and code nothing uses.
// Style is not linted (the code's style is in STYLE.md, and reviews).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', 'samples/**', 'dualscope-data/**', 'fuzz-failures/**', 'tmp/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: ['./tsconfig.test.json', './src/report/html/client/tsconfig.json', './src/server/client/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise that nobody awaits, returns or catches: its rejection is lost (or crashes the process).
      '@typescript-eslint/no-floating-promises': 'error',
      // A promise where a boolean or a void callback is expected (`if (p)`, an async listener).
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Code nothing uses: imports, variables, parameters (a leading _ marks one kept on purpose).
      '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      '@typescript-eslint/no-unused-expressions': 'error',
      'no-unreachable': 'error',
      'no-unused-labels': 'error',
      'no-useless-catch': 'error',
      'no-self-assign': 'error',
      'no-dupe-keys': 'error',
      'no-dupe-class-members': 'off', // TypeScript overloads; the compiler checks duplicates
    },
  },
);
