/**
 * Applications, first-run and audit handlers through the real router, on real
 * services: SQLite in a temp folder, the OS keychain (test service name) and
 * the embedded sandbox started by ensureSandbox().
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../../src/shared/errors.ts';
import type { ApplicationView, FirstRunStatus } from '../../../src/shared/ipc/applications.ts';
import type { AuditPage } from '../../../src/shared/ipc/audit.ts';
import { createHandlers } from '../../../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter, type Router } from '../../../src/main/ipc/router.ts';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { openTestServices, type TestServices } from '../../support/services.ts';

const sender = { id: 'test', url: 'file:///app/index.html' };
let t: TestServices;
let router: Router;
let sandboxUrl: string;
let second: { id: string; secret: string };
const events: [string, unknown][] = [];
const responses: unknown[] = [];
const exportDir = mkdtempSync(join(tmpdir(), 'iampass-export-'));
let saveResult: 'write' | 'cancel' | 'fail' = 'write';

async function call<T>(channel: string, payload: unknown): Promise<Result<T>> {
  const r = await router.handle(channel, payload, sender);
  responses.push(r);
  return r as Result<T>;
}
async function ok<T>(channel: string, payload: unknown): Promise<T> {
  const r = await call<T>(channel, payload);
  if (!r.ok) throw new Error(`${channel} failed: ${r.code} ${r.message}`);
  return r.value;
}

beforeAll(async () => {
  t = await openTestServices();
  const first = await t.services.ensureSandbox();
  sandboxUrl = first.sandbox!.baseUrl;
  second = await new VirtualPhone(sandboxUrl).createApplication();
  const bus = createEventBus();
  bus.subscribe((e, p) => events.push([e, p]));
  router = createRouter(
    createHandlers({
      app: { version: 'v', dataDir: t.dataDir },
      services: t.services,
      bus,
      startup: () => ({
        phase: 'ready',
        firstRun: first.firstRun,
        sandbox: { baseUrl: sandboxUrl, profileId: first.profile!.id },
        error: null,
      }),
      saveFile: ({ suggestedName, content }) => {
        if (saveResult === 'cancel') return Promise.resolve(null);
        if (saveResult === 'fail') return Promise.reject(new Error('EACCES /secret/place'));
        const path = join(exportDir, suggestedName);
        writeFileSync(path, content);
        return Promise.resolve(path);
      },
    }),
  );
});

afterAll(async () => {
  await t.cleanup();
  rmSync(exportDir, { recursive: true, force: true });
});

describe('applications.* handlers', () => {
  it('first run: the Sandbox profile is listed and active, with its secret in the keychain; firstRun.status until dismissed', async () => {
    const list = await ok<ApplicationView[]>('applications.list', {});
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      name: 'Sandbox',
      flavour: 'Sandbox',
      active: true,
      hasSecret: true,
      baseUrl: sandboxUrl,
    });
    expect(Object.keys(list[0]!).sort()).toEqual(
      [
        'active',
        'applicationId',
        'baseUrl',
        'concurrency',
        'createdAt',
        'flavour',
        'hasSecret',
        'id',
        'name',
        'sendOwnIds',
        'updatedAt',
      ].sort(),
    );
    const status = await ok<FirstRunStatus>('firstRun.status', {});
    expect(status).toMatchObject({
      phase: 'ready',
      firstRun: true,
      dismissed: false,
      sandbox: { baseUrl: sandboxUrl },
    });
    expect((await ok<FirstRunStatus>('firstRun.dismiss', {})).dismissed).toBe(true);
    expect((await ok<FirstRunStatus>('firstRun.status', {})).dismissed).toBe(true);
  });

  it('add -> test ok -> switch -> edit (replace secret with a wrong one: unauthorized) -> remove with the exact name; events on every change', async () => {
    events.length = 0;
    const added = await ok<ApplicationView>('applications.add', {
      name: 'Second app',
      flavour: 'Sandbox',
      baseUrl: sandboxUrl,
      applicationId: second.id,
      secret: second.secret,
      concurrency: 4,
    });
    expect(added).toMatchObject({ name: 'Second app', active: false, hasSecret: true, concurrency: 4 });
    expect(events.at(-1)).toMatchObject(['applications.changed', { reason: 'add' }]);

    const test = await ok<{ ok: boolean; latencyMs: number }>('applications.test', { id: added.id });
    expect(test.ok).toBe(true);
    expect(test.latencyMs).toBeGreaterThanOrEqual(0);

    const active = await ok<ApplicationView>('applications.setActive', { id: added.id });
    expect(active.active).toBe(true);
    expect((await ok<ApplicationView | null>('applications.getActive', {}))!.id).toBe(added.id);
    expect(events).toContainEqual(['applications.changed', { activeId: added.id, reason: 'activate' }]);

    const wrong = 'AB'.repeat(24);
    const edited = await ok<ApplicationView>('applications.edit', {
      id: added.id,
      patch: { name: 'Second app (renamed)', secret: wrong },
    });
    expect(edited.name).toBe('Second app (renamed)');
    const bad = await ok<{ ok: false; error: { code: string } }>('applications.test', { id: added.id });
    expect(bad).toMatchObject({ ok: false, error: { code: 'unauthorized' } });

    const refused = await call('applications.remove', { id: added.id, confirmName: 'Second app' });
    expect(refused).toMatchObject({ ok: false, code: 'invalid_input' });
    expect(await t.accounts()).toContain(`profile:${added.id}`);
    expect(await ok('applications.remove', { id: added.id, confirmName: 'Second app (renamed)' })).toEqual({
      removed: true,
    });
    expect(await t.accounts()).not.toContain(`profile:${added.id}`);
    expect((await ok<ApplicationView[]>('applications.list', {})).map((v) => v.name)).toEqual(['Sandbox']);
    expect(
      events.filter(([e]) => e === 'applications.changed').map(([, p]) => (p as { reason: string }).reason),
    ).toEqual(['add', 'activate', 'edit', 'remove']);
  });

  it('bad input: a typed invalid_input naming the field, nothing written, the secret never echoed', async () => {
    const secret = 'not a valid secret but private 1234';
    const before = await ok<ApplicationView[]>('applications.list', {});
    const cases: [unknown, string][] = [
      [{ name: 'X', flavour: 'Sandbox', baseUrl: sandboxUrl, applicationId: second.id, secret }, 'secret'],
      [
        {
          name: 'X',
          flavour: 'Sandbox',
          baseUrl: 'ftp://example.com',
          applicationId: second.id,
          secret: second.secret,
        },
        'baseUrl',
      ],
      [
        { name: 'X', flavour: 'Sandbox', baseUrl: sandboxUrl, applicationId: 'short', secret: second.secret },
        'applicationId',
      ],
      [{ name: '', flavour: 'Sandbox', baseUrl: sandboxUrl, applicationId: second.id, secret: second.secret }, 'name'],
      [
        {
          name: 'X',
          flavour: 'Sandbox',
          baseUrl: sandboxUrl,
          applicationId: second.id,
          secret: second.secret,
          concurrency: 500,
        },
        'concurrency',
      ],
    ];
    for (const [payload, field] of cases) {
      const r = await call('applications.add', payload);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.code).toBe('invalid_input');
      expect(JSON.stringify(r)).toContain(field);
      expect(JSON.stringify(r)).not.toContain(secret);
      expect(JSON.stringify(r)).not.toContain(second.secret);
    }
    // Shape errors stop at the router: unknown fields, wrong types.
    expect(await call('applications.add', { name: 'X', flavour: 'Nope', applicationId: 'a', secret })).toMatchObject({
      ok: false,
      code: 'invalid_input',
    });
    expect(await call('applications.edit', { id: before[0]!.id, patch: { secretValue: secret } })).toMatchObject({
      ok: false,
      code: 'invalid_input',
    });
    expect(await call('applications.setActive', { id: 'no-such-id' })).toMatchObject({ ok: false, code: 'missing' });
    expect(await ok<ApplicationView[]>('applications.list', {})).toEqual(before);
  });

  it('a duplicate name is a conflict and leaves no keychain entry behind', async () => {
    const accounts = await t.accounts();
    const r = await call('applications.add', {
      name: 'sandbox',
      flavour: 'Sandbox',
      baseUrl: sandboxUrl,
      applicationId: second.id,
      secret: second.secret,
    });
    expect(r).toMatchObject({ ok: false, code: 'conflict' });
    expect(await t.accounts()).toEqual(accounts);
  });
});

describe('audit.* handlers', () => {
  it('query: newest first, filters by action/outcome/date, pages, lists the actions', async () => {
    const all = await ok<AuditPage>('audit.query', {});
    expect(all.total).toBeGreaterThanOrEqual(6);
    expect(all.rows.map((r) => r.at)).toEqual([...all.rows.map((r) => r.at)].sort((a, b) => b - a));
    expect(all.actions).toEqual(
      expect.arrayContaining(['application.add', 'application.remove', 'application.test', 'sandbox.create']),
    );
    const adds = await ok<AuditPage>('audit.query', { filter: { action: 'application.add' } });
    expect(adds.rows.every((r) => r.action === 'application.add')).toBe(true);
    expect(adds.rows.some((r) => r.outcome === 'error')).toBe(true);
    const errors = await ok<AuditPage>('audit.query', { filter: { outcome: 'error' } });
    expect(errors.rows.every((r) => r.outcome === 'error' && r.errorCode !== null)).toBe(true);
    const future = await ok<AuditPage>('audit.query', { filter: { from: Date.now() + 60_000 } });
    expect(future.total).toBe(0);
    const paged = await ok<AuditPage>('audit.query', { offset: 1, limit: 2 });
    expect(paged.rows.map((r) => r.id)).toEqual(all.rows.slice(1, 3).map((r) => r.id));
    expect(await call('audit.query', { filter: { from: 10, to: 5 } })).toMatchObject({
      ok: false,
      code: 'invalid_input',
    });
    expect(await call('audit.query', { limit: 5000 })).toMatchObject({ ok: false, code: 'invalid_input' });
  });

  it('export writes CSV and JSON through saveFile, records the export; cancel and failure are handled', async () => {
    const csv = await ok<{ path: string; count: number }>('audit.export', {
      format: 'csv',
      filter: { action: 'application.remove' },
    });
    const text = readFileSync(csv.path, 'utf8');
    expect(text.split('\r\n')[0]).toBe('time,application,admin,action,target,outcome,errorCode');
    expect(text.split('\r\n').slice(1).filter(Boolean)).toHaveLength(csv.count);
    expect(text).toContain('application.remove');
    const json = await ok<{ path: string; count: number }>('audit.export', { format: 'json', filter: {} });
    const rows = JSON.parse(readFileSync(json.path, 'utf8')) as { action: string }[];
    expect(rows).toHaveLength(json.count);
    expect(rows.map((r) => r.action)).toContain('sandbox.create');
    saveResult = 'cancel';
    expect(await ok('audit.export', { format: 'csv' })).toEqual({ path: null, count: 0 });
    saveResult = 'fail';
    const failed = await call('audit.export', { format: 'json' });
    expect(failed).toMatchObject({ ok: false, code: 'internal', message: 'The export file could not be written.' });
    expect(JSON.stringify(failed)).not.toContain('/secret/place');
    saveResult = 'write';
    const exports = await ok<AuditPage>('audit.query', { filter: { action: 'audit.export' } });
    expect(exports.rows.map((r) => r.outcome).sort()).toEqual(['error', 'ok', 'ok']);
  });
});

describe('no secret crosses the bridge', () => {
  it('no response of this file contains either application secret', async () => {
    const sandboxProfile = (await t.services.applications.list()).find((v) => v.name === 'Sandbox')!;
    const sandboxSecret = await t.keychain.get(sandboxProfile.id);
    expect(sandboxSecret).toMatch(/^[0-9A-F]{48}$/);
    const all = JSON.stringify(responses);
    expect(responses.length).toBeGreaterThan(20);
    expect(all).not.toContain(second.secret);
    expect(all).not.toContain(sandboxSecret!);
    expect(all.toLowerCase()).not.toContain(second.secret.toLowerCase());
  });
});
