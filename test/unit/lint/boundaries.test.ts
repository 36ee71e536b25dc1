/**
 * The folder-by-runtime table is enforced by eslint.config.js: source text
 * from test/fixtures/lint is linted AS IF it lived in src/renderer or
 * src/main/services, with the project's real config.
 */
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
// The fixtures are not part of a TypeScript project, so only type-aware rules are switched off; the boundary rules stay.
const eslint = new ESLint({ cwd: ROOT, overrideConfig: [tseslint.configs.disableTypeChecked] });

async function lintAs(fixture: string, asPath: string) {
  const code = readFileSync(resolve(ROOT, 'test/fixtures/lint', fixture), 'utf8');
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, asPath) });
  const messages = result!.messages;
  return {
    restricted: messages
      .filter((m) => m.ruleId === 'no-restricted-imports')
      .map((m) => ({ line: m.line, message: m.message })),
    syntax: messages
      .filter((m) => m.ruleId === 'no-restricted-syntax')
      .map((m) => ({ line: m.line, message: m.message })),
    errors: messages.filter((m) => m.severity === 2),
  };
}

describe('lint boundaries (eslint.config.js)', () => {
  it('a renderer file importing node:fs, path or electron fails lint on each import', async () => {
    const { restricted } = await lintAs('renderer-imports-node.tsx.txt', 'src/renderer/src/__lint_fixture__.tsx');
    expect(restricted.map((r) => r.line)).toEqual([1, 2, 3]);
    for (const r of restricted) expect(r.message).toContain('The renderer is an untrusted page');
  });

  it('a renderer file importing main code fails lint', async () => {
    const { restricted } = await lintAs('renderer-imports-main.tsx.txt', 'src/renderer/src/__lint_fixture__.tsx');
    expect(restricted.map((r) => r.line)).toEqual([1]);
  });

  it('a main service importing electron fails lint (node:fs is fine there)', async () => {
    const { restricted } = await lintAs('service-imports-electron.ts.txt', 'src/main/services/__lint_fixture__.ts');
    expect(restricted).toHaveLength(1);
    expect(restricted[0]!.line).toBe(1);
    expect(restricted[0]!.message).toContain('never import electron');
  });

  it('the same electron import is allowed in the thin Electron layer', async () => {
    const { restricted } = await lintAs('service-imports-electron.ts.txt', 'src/main/electron/__lint_fixture__.ts');
    expect(restricted).toEqual([]);
  });

  it('a clean renderer file (react, shared types, the bridge client) passes', async () => {
    const { errors } = await lintAs('renderer-clean.tsx.txt', 'src/renderer/src/__lint_fixture__.tsx');
    expect(errors).toEqual([]);
  });

  it('main code importing the sandbox or the CLI fails lint, its Electron layer too; only the Electron entry (the composition root) may import the sandbox', async () => {
    const { restricted } = await lintAs('main-imports-sandbox.ts.txt', 'src/main/services/__lint_fixture__.ts');
    expect(restricted.map((r) => r.line)).toEqual([1, 2]);
    for (const r of restricted) expect(r.message).toContain('composition roots');
    expect((await lintAs('main-imports-sandbox.ts.txt', 'src/main/store/__lint_fixture__.ts')).restricted).toHaveLength(
      2,
    );
    const layer = await lintAs('main-imports-sandbox.ts.txt', 'src/main/electron/__lint_fixture__.ts');
    expect(layer.restricted.map((r) => r.line)).toEqual([1, 2]);
    for (const r of layer.restricted) expect(r.message).toContain('src/electron/main.ts injects the sandbox launcher');
    const entry = await lintAs('main-imports-sandbox.ts.txt', 'src/electron/__lint_fixture__.ts');
    expect(entry.restricted.map((r) => r.line)).toEqual([2]);
  });

  it('an IPC handler calling the store or the client directly fails lint; a type import and the same code in a service pass', async () => {
    const { restricted } = await lintAs('handler-imports-store.ts.txt', 'src/main/ipc/handlers/__lint_fixture__.ts');
    expect(restricted.map((r) => r.line)).toEqual([1, 2]);
    for (const r of restricted) expect(r.message).toContain('go through the services');
    expect((await lintAs('handler-imports-store.ts.txt', 'src/main/services/__lint_fixture__.ts')).restricted).toEqual(
      [],
    );
  });

  it('a CLI command importing the store fails lint (types pass); the CLI context, its composition root, may', async () => {
    const { restricted } = await lintAs('command-imports-store.ts.txt', 'src/cli/commands/__lint_fixture__.ts');
    expect(restricted.map((r) => r.line)).toEqual([1]);
    expect((await lintAs('command-imports-store.ts.txt', 'src/cli/__lint_fixture__.ts')).restricted).toEqual([]);
  });

  it('SQL passed to prepare/exec/query outside src/main/store fails lint (string and template); a RegExp exec does not', async () => {
    const { syntax } = await lintAs('sql-outside-store.ts.txt', 'src/main/services/__lint_fixture__.ts');
    expect(syntax.map((r) => r.line)).toEqual([2, 3, 7]);
    for (const r of syntax) expect(r.message).toContain('SQL lives in src/main/store');
    expect((await lintAs('sql-outside-store.ts.txt', 'src/main/store/__lint_fixture__.ts')).syntax).toEqual([]);
    expect((await lintAs('sql-outside-store.ts.txt', 'src/cli/commands/__lint_fixture__.ts')).syntax).toHaveLength(3);
  });

  it('src/node (shared by main and the sandbox) imports neither', async () => {
    const { restricted } = await lintAs('node-imports-main.ts.txt', 'src/node/__lint_fixture__.ts');
    expect(restricted.map((r) => r.line)).toEqual([1, 2]);
    for (const r of restricted) expect(r.message).toContain('src/node is shared');
  });

  it('the sandbox importing main fails lint; src/node is where what both use lives', async () => {
    const { restricted } = await lintAs('command-imports-store.ts.txt', 'src/sandbox/__lint_fixture__.ts');
    expect(restricted.map((r) => r.line)).toEqual([1, 2]);
    expect(restricted[0]!.message).toContain('server of its own');
  });
});
