// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';

// Every way to name a Node built-in: `fs`, `fs/promises`, `node:fs`.
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'node:*'];

/**
 * The folder-by-runtime table of ARCHITECTURE.md, enforced. A file's folder
 * says which runtime it may use; importing across the line fails lint.
 * @param {string[]} paths module names that are forbidden
 * @param {string[]} patterns path patterns (gitignore style) that are forbidden
 * @param {string} why shown with the error
 */
function forbid(paths, patterns, why) {
  return {
    'no-restricted-imports': [
      'error',
      {
        paths: paths.map((name) => ({ name, message: why })),
        patterns: patterns.map((group) => ({ group: [group], message: why })),
      },
    ],
  };
}

const mainOnly = ['**/main/**', '**/sandbox/**', '**/cli/**'];
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
    rules: forbid(
      [...nodeBuiltins, 'electron', 'keytar', 'react', 'react-dom'],
      [...mainOnly, '**/renderer/**', '**/preload/**'],
      'src/shared runs everywhere: types, schemas and pure functions only.',
    ),
  },
  // src/main (minus its Electron layer), src/sandbox, src/cli: plain Node.
  {
    files: ['src/main/**/*.ts', 'src/sandbox/**/*.ts', 'src/cli/**/*.ts'],
    ignores: ['src/main/index.ts', 'src/main/electron/**'],
    rules: forbid(
      ['electron', 'react', 'react-dom'],
      [...uiOnly, '**/preload/**', '**/main/index*', '**/main/electron/**'],
      'Plain-Node code must never import electron (it downloads a binary) or UI code; only src/main/index.ts and src/main/electron/ may.',
    ),
  },
  // The thin Electron layer: may use electron and the rest of main.
  {
    files: ['src/main/index.ts', 'src/main/electron/**/*.ts'],
    rules: forbid(['react', 'react-dom', 'keytar'], [...uiOnly, '**/preload/**'], 'The Electron layer never imports UI code.'),
  },
  // The preload: contextBridge and ipcRenderer, shared types, nothing else.
  {
    files: ['src/preload/**/*.ts'],
    rules: forbid(
      [...nodeBuiltins, 'keytar', 'react', 'react-dom'],
      [...mainOnly, '**/renderer/**'],
      'The preload is the bridge only: electron (contextBridge, ipcRenderer) and src/shared.',
    ),
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
      ...forbid(
        [...nodeBuiltins, 'electron', 'keytar'],
        [...mainOnly, '**/preload/**'],
        'The renderer is an untrusted page: no Node, no electron, no main code. Use the bridge client.',
      ),
    },
  },
  // Tests and benchmarks: the Electron layer's tests reach `electron` only
  // through vi.mock (the real module downloads a binary).
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
