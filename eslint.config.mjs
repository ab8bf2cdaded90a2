// Lint rules that catch real bugs in Temporal + kysely code, and keep each thing in its layer
// (formatting is left to editors).
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process', 'dns', 'stream', 'util', 'worker_threads'];
const noNodeBuiltins = nodeBuiltins.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'Workflow code must be deterministic: no Node builtins.' }));

// Vendor names belong to the adapters (psa/), the simulators (sims/) and configuration; the engine
// asks an adapter factory what a vendor can do (`capabilities`) instead of naming it.
const VENDOR = 'connectwise|autotask|halopsa';
const vendorMessage = 'Ask the adapter factory (capabilities) instead of naming a vendor outside psa/, sims/ and config/.';
const vendorSyntax = [
  { selector: `Literal[value=/^(${VENDOR})$/]`, message: vendorMessage },
  { selector: `TemplateLiteral[expressions.length=0] > TemplateElement[value.raw=/^(${VENDOR})$/]`, message: vendorMessage },
  { selector: `ImportDeclaration[source.value=/(^|\\/)(psa|sims)\\/(${VENDOR})(\\/|$)/]`, message: `${vendorMessage} Import psa/registry or psa/capabilities.` },
];

// SQL lives in db/ (repositories taking the executor first); everything else calls them.
const sqlMessage = 'SQL belongs in db/repositories/: call a repository function.';
const sqlSyntax = [
  { selector: 'CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|selectNoFrom|transaction)$/]', message: sqlMessage },
  { selector: "ImportDeclaration[source.value='kysely'] > ImportSpecifier[imported.name='sql']", message: sqlMessage },
  { selector: "ImportDeclaration[source.value=/^kysely\\/helpers\\//]", message: sqlMessage },
];

// Outside these, no vendor names. Migrations are frozen history (their CHECK lists the kinds);
// tests, benchmarks, the demo's cast and `npm run try` drive the simulators of each vendor by name.
const vendorFree = ['psa/**', 'sims/**', 'config/**', 'test/**', 'bench/**', 'demo/main.ts', 'main/try.ts', 'db/migrations/**'];
// Outside these, no SQL. Tests, benchmarks and the demo's seed stand in for the platform, which
// owns the directory rows they write.
const sqlFree = ['db/**', 'test/**', 'bench/**', 'demo/seed.ts'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-debugger': 'error',
    },
  },
  // One `no-restricted-syntax` setting per file: each block below covers the files its rules apply to.
  { files: ['**/*.ts'], ignores: [...vendorFree, ...sqlFree], rules: { 'no-restricted-syntax': ['error', ...vendorSyntax, ...sqlSyntax] } },
  { files: ['psa/**/*.ts', 'sims/**/*.ts', 'config/**/*.ts', 'demo/main.ts'], rules: { 'no-restricted-syntax': ['error', ...sqlSyntax] } },
  { files: ['db/**/*.ts', 'demo/seed.ts'], ignores: vendorFree, rules: { 'no-restricted-syntax': ['error', ...vendorSyntax] } },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node builtins, no I/O.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: noNodeBuiltins,
          patterns: [{ group: ['**/activities', '**/activities/**'], message: 'Import activities with `import type` only.', allowTypeImports: true }],
        },
      ],
    },
  },
  {
    // Pure modules the workflow bundle imports (rules, errors and their catalogue, vendor capabilities).
    files: ['domain/errors.ts', 'domain/error-catalogue.ts', 'domain/rules.ts', 'domain/ticket-close.ts', 'psa/capabilities.ts', 'psa/*/capabilities.ts', 'psa/core/types.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: noNodeBuiltins }] },
  },
);
