// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';

// Every way to name a Node built-in: `fs`, `fs/promises`, `node:fs`.
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'node:*'];

/**
 * The folder-by-runtime table of the README ("Folders"), enforced, plus the
 * layering inside main. A file's folder says which runtime and which layers
 * it may use; importing across the line fails lint.
 * @typedef {{ paths?: string[], patterns?: string[], why: string, allowTypeImports?: boolean }} Ban
 * @param {...Ban} bans each a list of module names and path patterns (gitignore style) with the reason shown
 */
function forbid(...bans) {
  return {
    'no-restricted-imports': [
      'error',
      {
        paths: bans.flatMap((b) =>
          (b.paths ?? []).map((name) => ({
            name,
            message: b.why,
            ...(b.allowTypeImports ? { allowTypeImports: true } : {}),
          })),
        ),
        patterns: bans.flatMap((b) =>
          (b.patterns ?? []).map((group) => ({
            group: [group],
            message: b.why,
            ...(b.allowTypeImports ? { allowTypeImports: true } : {}),
          })),
        ),
      },
    ],
  };
}

/** Plain-Node code (main minus its Electron layer, the sandbox, the CLI, src/node). */
const plainNode = {
  paths: ['electron', 'react', 'react-dom'],
  patterns: [
    '**/renderer/**',
    'react',
    'react-dom',
    'react-dom/*',
    'zustand',
    'zustand/*',
    '**/preload/**',
    '**/electron/main*',
    '**/main/electron/**',
  ],
  why: 'Plain-Node code must never import electron (it downloads a binary) or UI code; only src/electron/main.ts and src/main/electron/ may.',
};
/** Main's services, store, client and router: the sandbox and the CLI are injected by the composition roots. */
const mainLayer = {
  patterns: ['**/sandbox/**', '**/cli/**'],
  why: 'src/main never imports the sandbox or the CLI: the composition roots (src/main/electron, src/cli/context.ts) inject them (e.g. the sandbox launcher).',
};
/** IPC handlers and CLI commands work through the services (types may still be named). */
const throughServices = {
  patterns: ['**/store/**', '**/iampass/**', '**/secrets/**'],
  why: 'IPC handlers and CLI commands go through the services (src/main/services): no store, client or keychain calls of their own.',
  allowTypeImports: true,
};
/** src/node: what both main and the sandbox use; it imports neither. */
const nodeCommon = {
  patterns: ['**/main/**', '**/sandbox/**', '**/cli/**'],
  why: 'src/node is shared by main and the sandbox: it imports neither (nor the CLI).',
};
/** SQL lives in src/main/store: a string that starts like SQL passed to prepare/exec anywhere else. */
const SQL_START =
  '/^\\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|PRAGMA|BEGIN|COMMIT|ROLLBACK|WITH|VACUUM|ANALYZE)\\b/i';
const sqlOutsideStore = {
  'no-restricted-syntax': [
    'error',
    ...['prepare', 'exec', 'query'].flatMap((method) => [
      {
        selector: `CallExpression[callee.property.name='${method}'] > Literal[value=${SQL_START}]`,
        message: 'SQL lives in src/main/store: add a store function and call it from the service.',
      },
      {
        selector: `CallExpression[callee.property.name='${method}'] > TemplateLiteral > TemplateElement:first-child[value.raw=${SQL_START}]`,
        message: 'SQL lives in src/main/store: add a store function and call it from the service.',
      },
    ]),
  ],
};

const mainOnly = ['**/main/**', '**/sandbox/**', '**/cli/**', '**/node/**'];
const uiOnly = ['**/renderer/**', 'react', 'react-dom', 'react-dom/*', 'zustand', 'zustand/*'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      'dist/**',
      '.cache/**',
      'test-results/**',
      'bench-results/**',
      'coverage/**',
      'test/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'scripts/*.cjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // src/shared: pure types, schemas and functions. No runtime-specific import.
  {
    files: ['src/shared/**/*.{ts,tsx}'],
    rules: forbid({
      paths: [...nodeBuiltins, 'electron', 'keytar', 'react', 'react-dom'],
      patterns: [...mainOnly, '**/renderer/**', '**/preload/**'],
      why: 'src/shared runs everywhere: types, schemas and pure functions only.',
    }),
  },
  // src/sandbox: a separate server, plain Node: src/node and shared, never main or the CLI.
  {
    files: ['src/sandbox/**/*.ts'],
    rules: forbid(plainNode, {
      patterns: ['**/main/**', '**/cli/**'],
      why: 'The sandbox is a server of its own: it imports src/node and src/shared, never main (the signer and the envelope live in src/node) or the CLI.',
    }),
  },
  // src/cli: plain Node (its context is a composition root).
  {
    files: ['src/cli/**/*.ts'],
    rules: forbid(plainNode),
  },
  // src/node: plain Node, shared by main and the sandbox.
  {
    files: ['src/node/**/*.ts'],
    rules: forbid(plainNode, nodeCommon),
  },
  // src/main (minus its Electron layer): plain Node, and never the sandbox or the CLI.
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/electron/**'],
    rules: forbid(plainNode, mainLayer),
  },
  // IPC handlers: through the services.
  {
    files: ['src/main/ipc/handlers/**/*.ts'],
    rules: forbid(plainNode, mainLayer, throughServices),
  },
  // CLI commands: through the services (the CLI context is its composition root).
  {
    files: ['src/cli/commands/**/*.ts'],
    rules: forbid(plainNode, throughServices),
  },
  // SQL only in the store.
  {
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/main/store/**'],
    rules: sqlOutsideStore,
  },
  // The thin Electron layer: may use electron and the rest of main, never the sandbox (the entry injects it) or UI code.
  {
    files: ['src/main/electron/**/*.ts'],
    rules: forbid({
      paths: ['react', 'react-dom', 'keytar'],
      patterns: [...uiOnly, '**/preload/**', '**/sandbox/**', '**/cli/**'],
      why: 'The Electron layer never imports UI code, the sandbox or the CLI: src/electron/main.ts injects the sandbox launcher.',
    }),
  },
  // The Electron entry: the app's composition root (electron, main's Electron layer, the sandbox launcher).
  {
    files: ['src/electron/**/*.ts'],
    rules: forbid({
      paths: ['react', 'react-dom', 'keytar'],
      patterns: [...uiOnly, '**/preload/**', '**/cli/**'],
      why: 'The Electron entry wires electron, main and the sandbox launcher; never UI code or the CLI.',
    }),
  },
  // The preload: contextBridge and ipcRenderer, shared types, nothing else.
  {
    files: ['src/preload/**/*.ts'],
    rules: forbid({
      paths: [...nodeBuiltins, 'keytar', 'react', 'react-dom'],
      patterns: [...mainOnly, '**/renderer/**'],
      why: 'The preload is the bridge only: electron (contextBridge, ipcRenderer) and src/shared.',
    }),
  },
  // The renderer: an untrusted web page.
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: {
      globals: { ...globals.browser },
      // The renderer has its own TypeScript project (DOM, JSX, no Node types).
      parserOptions: { projectService: false, project: ['./tsconfig.web.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...forbid({
        paths: [...nodeBuiltins, 'electron', 'keytar'],
        patterns: [...mainOnly, '**/preload/**'],
        why: 'The renderer is an untrusted page: no Node, no electron, no main code. Use the bridge client.',
      }),
    },
  },
  // Tests and benchmarks: the Electron layer's tests reach `electron` only
  // through vi.mock (the real module downloads a binary).
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
