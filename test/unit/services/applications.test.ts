// Real SQLite files and the real GNOME Keyring (run under scripts/keyring-session.sh).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src/shared/errors.ts';
import { openStore, type Store } from '../../../src/main/store/db.ts';
import { countUsers, insertUsers } from '../../../src/main/store/directory.ts';
import { ApplicationsService, type AddApplicationInput } from '../../../src/main/services/applications.ts';
import { makeConnectionTester } from '../../../src/main/services/connection-test.ts';
import type { Keychain } from '../../../src/main/secrets/keychain.ts';
import { APP_ID, SECRET, SECRET2, filesContain, probeClient, strictServer, tempDir, testKeychain } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let kc: ReturnType<typeof testKeychain>;
let keychain: Keychain;
let store: Store;
let apps: ApplicationsService;

beforeEach(() => {
  tmp = tempDir();
  kc = testKeychain();
  keychain = kc.keychain;
  store = openStore(join(tmp.dir, 'admin.sqlite'));
  apps = new ApplicationsService({ store, secrets: keychain, tester: makeConnectionTester(probeClient, 3000) });
});
afterEach(async () => {
  store.close();
  await kc.cleanup();
  tmp.cleanup();
});

const prod: AddApplicationInput = { name: 'Production', flavour: 'IAMPASS', applicationId: APP_ID, secret: SECRET };

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

function auditRows() {
  return apps.audit.query({}, { limit: 1000 }).rows.map((r) => [r.action, r.outcome, r.errorCode, r.target]);
}

describe('add', () => {
  it('writes the row and the keychain entry, returns no secret, and audits', async () => {
    const view = await apps.add({ ...prod, secret: `  ${SECRET} ` });
    expect(view).toMatchObject({
      name: 'Production',
      flavour: 'IAMPASS',
      baseUrl: 'https://main.iam-api.com',
      concurrency: 16,
      sendOwnIds: false,
      hasSecret: true,
    });
    expect(await keychain.get(view.id)).toBe(SECRET);
    const list = await apps.list();
    expect(list.map((p) => [p.name, p.hasSecret, p.active])).toEqual([['Production', true, false]]);
    expect(JSON.stringify([view, list])).not.toContain(SECRET);
    expect(auditRows()).toEqual([['application.add', 'ok', null, 'Production']]);
  });

  it.each([
    [{ name: '  ' }, 'invalid_input', 'name'],
    [{ name: 'x'.repeat(65) }, 'invalid_input', 'name'],
    [{ name: `key ${SECRET}` }, 'invalid_input', 'name'],
    [{ name: 'https://register.example/abc' }, 'invalid_input', 'name'],
    [{ flavour: 'Okta' }, 'invalid_input', 'flavour'],
    [{ baseUrl: 'http://iam.example.com' }, 'insecure_url', 'baseUrl'],
    [{ baseUrl: 'ftp://iam.example.com' }, 'invalid_input', 'baseUrl'],
    [{ baseUrl: 'https://user:pw@iam.example.com' }, 'invalid_input', 'baseUrl'],
    [{ baseUrl: 'not a url' }, 'invalid_input', 'baseUrl'],
    [{ applicationId: 'short' }, 'invalid_input', 'applicationId'],
    [{ concurrency: 0 }, 'invalid_input', 'concurrency'],
    [{ concurrency: 65 }, 'invalid_input', 'concurrency'],
    [{ concurrency: 2.5 }, 'invalid_input', 'concurrency'],
    [{ secret: SECRET.slice(0, 15) }, 'invalid_input', 'secret'],
    [{ secret: 'x'.repeat(129) }, 'invalid_input', 'secret'],
    [{ secret: `${SECRET.slice(0, 20)} ${SECRET.slice(20)}` }, 'invalid_input', 'secret'],
    [{ secret: `${SECRET.slice(0, 20)}é${SECRET.slice(20)}` }, 'invalid_input', 'secret'],
    [{ applicationId: 'x'.repeat(129) }, 'invalid_input', 'applicationId'],
  ])('rejects %j with %s and changes nothing', async (bad, code, field) => {
    const e = await rejection(apps.add({ ...prod, ...(bad as Partial<AddApplicationInput>) }));
    expect(e.code).toBe(code);
    expect(e.details).toMatchObject({ field });
    expect(await apps.list()).toEqual([]);
    expect(await kc.accounts()).toEqual([]);
    expect(auditRows().map((r) => r.slice(0, 3))).toEqual([['application.add', 'error', code]]);
  });

  it('allows http:// only for loopback and normalises the base URL', async () => {
    const a = await apps.add({ ...prod, name: 'Local', flavour: 'Sandbox', baseUrl: 'http://127.0.0.1:8765/' });
    expect(a.baseUrl).toBe('http://127.0.0.1:8765');
    const b = await apps.add({
      ...prod,
      name: 'Staging',
      flavour: 'Activeconnect',
      baseUrl: 'https://staging.example.com/api/',
    });
    expect(b.baseUrl).toBe('https://staging.example.com/api');
    const c = await apps.add({ ...prod, name: 'AC', flavour: 'Activeconnect' });
    expect(c.baseUrl).toBe('https://activeapi.ninja');
  });

  it('refuses a duplicate name (case-insensitive) and leaves no orphan keychain entry', async () => {
    await apps.add(prod);
    const e = await rejection(apps.add({ ...prod, name: 'PRODUCTION', secret: SECRET2 }));
    expect(e.code).toBe('conflict');
    expect(await kc.accounts()).toHaveLength(1);
    expect(await apps.list()).toHaveLength(1);
  });

  it('removes the keychain entry again when the database write fails', async () => {
    store.close();
    store = openStore(join(tmp.dir, 'admin.sqlite'), { busyTimeoutMs: 20 });
    apps = new ApplicationsService({ store, secrets: keychain });
    // Another connection holds the write lock, so the INSERT fails after the keychain write.
    const other = new DatabaseSync(join(tmp.dir, 'admin.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const e = await rejection(apps.add(prod));
      expect(e).toMatchObject({ code: 'conflict', retryable: true });
      expect(await kc.accounts()).toEqual([]);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await apps.list()).toEqual([]);
  });

  it('leaves no profile behind when the keychain is unreachable', async () => {
    const child = join(import.meta.dirname, 'add-unreachable-child.ts');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/iampass-dead-bus',
      DISPLAY: '',
    };
    const dbPath = join(tmp.dir, 'child.sqlite');
    const { stdout } = await promisify(execFile)(process.execPath, [child, dbPath], { env, timeout: 20_000 });
    const [first, second] = stdout.split('\n');
    const out = JSON.parse(first!) as { code: string; message: string };
    expect(JSON.parse(second!)).toEqual([['Listed', null]]);
    expect(out.code).toBe('keychain');
    expect(out.message).not.toContain(SECRET);
    const s = openStore(dbPath);
    try {
      expect(s.db.prepare("SELECT count(*) AS n FROM profiles WHERE id <> 'listed'").get()).toEqual({ n: 0 });
      expect(s.db.prepare('SELECT action, outcome, error_code FROM audit').all()).toEqual([
        { action: 'application.add', outcome: 'error', error_code: 'keychain' },
      ]);
    } finally {
      s.close();
    }
    expect(filesContain(tmp.dir, SECRET)).toEqual([]);
  });
});

describe('edit', () => {
  it('updates fields, optionally replaces the secret, and audits both', async () => {
    const { id } = await apps.add(prod);
    const edited = await apps.edit(id, { name: 'Prod EU', concurrency: 16, sendOwnIds: true });
    expect(edited).toMatchObject({ name: 'Prod EU', concurrency: 16, sendOwnIds: true, hasSecret: true });
    expect(await keychain.get(id)).toBe(SECRET);
    await apps.edit(id, { secret: SECRET2 });
    expect(await keychain.get(id)).toBe(SECRET2);
    expect(auditRows().map((r) => r[0])).toEqual([
      'application.secret.replace',
      'application.edit',
      'application.edit',
      'application.add',
    ]);
  });

  it('rejects a bad edit and changes neither the row nor the secret', async () => {
    const { id } = await apps.add(prod);
    const before = apps.get(id);
    expect((await rejection(apps.edit(id, { name: 'Renamed', secret: 'nope' }))).code).toBe('invalid_input');
    expect((await rejection(apps.edit(id, { baseUrl: 'http://example.com' }))).code).toBe('insecure_url');
    expect((await rejection(apps.edit('missing', { name: 'x' }))).code).toBe('missing');
    await apps.add({ ...prod, name: 'Other' });
    expect((await rejection(apps.edit(id, { name: 'other' }))).code).toBe('conflict');
    expect(apps.get(id)).toEqual(before);
    expect(await keychain.get(id)).toBe(SECRET);
  });
});

describe('remove and switch', () => {
  it('requires the name as confirmation, then deletes the keychain entry, the directory and the active flag', async () => {
    const a = await apps.add(prod);
    const b = await apps.add({ ...prod, name: 'Staging', secret: SECRET2 });
    apps.setActive(a.id);
    expect(apps.getActive()?.id).toBe(a.id);
    insertUsers(store, a.id, [{ userId: 'alice' }, { userId: 'bob' }]);

    expect((await rejection(apps.remove(a.id, { name: 'production' }))).code).toBe('invalid_input');
    expect((await rejection(apps.remove(a.id, undefined as unknown as { name: string }))).code).toBe('invalid_input');
    expect((await rejection(apps.edit(a.id, null as unknown as { name: string }))).code).toBe('invalid_input');
    expect((await rejection(apps.add(null as unknown as AddApplicationInput))).code).toBe('invalid_input');
    expect(await keychain.has(a.id)).toBe(true);
    expect(countUsers(store, a.id)).toBe(2);

    await apps.remove(a.id, { name: 'Production' });
    expect(await keychain.has(a.id)).toBe(false);
    expect(await keychain.get(b.id)).toBe(SECRET2);
    expect(countUsers(store, a.id)).toBe(0);
    expect(apps.getActive()).toBeNull();
    expect((await apps.list()).map((p) => p.name)).toEqual(['Staging']);
    expect((await rejection(apps.remove(a.id, { name: 'Production' }))).code).toBe('missing');
    expect(auditRows()[1]).toEqual(['application.remove', 'ok', null, 'Production']);
  });

  it('switches the active profile and refuses an unknown one', async () => {
    const a = await apps.add(prod);
    const b = await apps.add({ ...prod, name: 'B' });
    apps.setActive(a.id);
    apps.setActive(b.id);
    expect(apps.getActive()?.name).toBe('B');
    expect((await apps.list()).filter((p) => p.active).map((p) => p.name)).toEqual(['B']);
    expect(() => apps.setActive('nope')).toThrow(expect.objectContaining({ code: 'missing' }) as Error);
    expect(apps.getActive()?.name).toBe('B');
  });
});

describe('test connection (real signed call over loopback)', () => {
  it('is ok with the right secret and unauthorized with a wrong one; host down is a network error', async () => {
    const server = await strictServer({ id: APP_ID, secret: SECRET });
    try {
      const good = await apps.add({ ...prod, name: 'Good', flavour: 'Sandbox', baseUrl: server.baseUrl });
      const bad = await apps.add({
        ...prod,
        name: 'Bad',
        flavour: 'Sandbox',
        baseUrl: server.baseUrl,
        secret: SECRET2,
      });
      const ok = await apps.testConnection(good.id);
      expect(ok.ok).toBe(true);
      expect(ok.latencyMs).toBeGreaterThanOrEqual(0);
      const wrong = await apps.testConnection(bad.id);
      expect(wrong).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      expect(server.requests()).toBe(2);
      expect(JSON.stringify([ok, wrong])).not.toContain(SECRET);
    } finally {
      await server.close();
    }
    const down = await apps.add({ ...prod, name: 'Down', flavour: 'Sandbox', baseUrl: 'http://127.0.0.1:9' });
    expect(await apps.testConnection(down.id)).toMatchObject({ ok: false, error: { code: 'network' } });
    expect(
      auditRows()
        .filter((r) => r[0] === 'application.test')
        .map((r) => [r[1], r[2]]),
    ).toEqual([
      ['error', 'network'],
      ['error', 'unauthorized'],
      ['ok', null],
    ]);
  });
});

describe('secret hygiene', () => {
  it('the secret is never in the SQLite file or its WAL, nor in anything returned, audited or logged', async () => {
    const logged: unknown[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void logged.push(args)),
    );
    const writes = [process.stdout, process.stderr].map((stream) => {
      const original = stream.write.bind(stream);
      return vi.spyOn(stream, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
        logged.push(String(chunk));
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      });
    });
    const outputs: unknown[] = [];
    const a = await apps.add(prod);
    outputs.push(a, await apps.list(), await apps.edit(a.id, { secret: SECRET2, name: 'Renamed' }));
    outputs.push(await rejection(apps.add({ ...prod, name: SECRET })).then((e) => e.toInfo()));
    outputs.push(await rejection(apps.add({ ...prod, name: `My ${SECRET.toLowerCase()}` })).then((e) => e.toInfo()));
    outputs.push(await rejection(apps.add({ ...prod, name: 'x', secret: `${SECRET} 00` })).then((e) => e.toInfo()));
    const server = await strictServer({ id: APP_ID, secret: SECRET2 });
    try {
      await apps.edit(a.id, { flavour: 'Sandbox', baseUrl: server.baseUrl });
      outputs.push(await apps.testConnection(a.id));
    } finally {
      await server.close();
    }
    await apps.remove(a.id, { name: 'Renamed' });
    outputs.push(apps.audit.exportCsv(), apps.audit.exportJson(), apps.audit.query());
    for (const spy of [...spies, ...writes]) spy.mockRestore();
    const text = JSON.stringify([outputs, logged]);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET2);
    expect(filesContain(tmp.dir, SECRET)).toEqual([]);
    expect(filesContain(tmp.dir, SECRET2)).toEqual([]);
    expect(filesContain(tmp.dir, 'Renamed').length).toBeGreaterThan(0); // the scan does see plain text
  });
});
