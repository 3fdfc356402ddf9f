// @ts-check
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: globals.node },
    rules: {
      // Money must never become a JS number: parseFloat and Number() of a decimal string lose cents.
      'no-restricted-globals': ['error', { name: 'parseFloat', message: 'Money is a decimal string; use Money.parse.' }],
      'no-restricted-properties': [
        'error',
        { object: 'Number', property: 'parseFloat', message: 'Money is a decimal string; use Money.parse.' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-console': ['error', { allow: ['error'] }] },
  },
  {
    files: ['src/main.ts', 'test/**/*.ts', 'bench/**/*.{ts,js}'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests read loosely typed JSON replies and build deliberately wrong inputs.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['src/adapters/mariadb/migrat*.ts', 'src/adapters/mariadb/migrations/*.ts'],
    // Migrations take Kysely<any>: they are written against the schema of their day.
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
)
