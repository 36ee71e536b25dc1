import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/errors.ts';
import { LATEST_VERSION, openStore, userVersion, type Store } from '../../../src/main/store/db.ts';
import { MIGRATIONS } from '../../../src/main/store/migrations.ts';
import { getProfile, insertProfile, type Profile } from '../../../src/main/store/profiles.ts';
import { insertAudit } from '../../../src/main/store/audit.ts';

let dir: string;
let store: Store | null = null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iampass-store-'));
});
afterEach(() => {
  store?.close();
  store = null;
  rmSync(dir, { recursive: true, force: true });
});

function sampleProfile(over: Partial<Profile> = {}): Profile {
  return {
    id: 'p1',
    name: 'Prod',
    flavour: 'IAMPASS',
    baseUrl: 'https://main.iam-api.com',
    applicationId: '10FB9102F29A422EB14AB2F2D0F0CC02',
    concurrency: 8,
    sendOwnIds: false,
    createdAt: 1,
    updatedAt: 1,
    ...over,
  };
}

describe('openStore', () => {
  it('creates the file with WAL, foreign keys and the latest schema', () => {
    store = openStore(join(dir, 'nested', 'admin.sqlite'));
    const db = store.db;
    expect(userVersion(db)).toBe(LATEST_VERSION);
    expect(LATEST_VERSION).toBe(MIGRATIONS.length);
    expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    expect((db.prepare('PRAGMA foreign_keys').get() as { foreign_keys: number }).foreign_keys).toBe(1);
    expect((db.prepare('PRAGMA busy_timeout').get() as { timeout: number }).timeout).toBe(5000);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name);
    // users_fts* : the users search index (FTS5 and its shadow tables).
    expect(tables.filter((t) => !t.startsWith('users_fts'))).toEqual([
      'audit',
      'contacts',
      'directory_sources',
      'intents',
      'invitation_settings',
      'invitations',
      'profiles',
      'sessions',
      'settings',
      'team_audit_cursor',
      'users',
    ]);
    expect(tables).toContain('users_fts');
  });

  it('upgrades an older file in place, keeping its rows', () => {
    const path = join(dir, 'old.sqlite');
    const v1 = openStore(path, { targetVersion: 1 });
    expect(userVersion(v1.db)).toBe(1);
    // A version-1 file has no send_own_ids column and no audit table.
    v1.db
      .prepare(
        'INSERT INTO profiles (id, name, flavour, base_url, application_id, concurrency, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)',
      )
      .run('old', 'Legacy', 'Activeconnect', 'https://activeapi.ninja', 'EF86DCFAEA21818B904CE6087413E3B2', 4, 10, 10);
    expect(() => v1.db.prepare('SELECT count(*) FROM audit').get()).toThrow(/no such table/);
    v1.close();

    store = openStore(path);
    expect(userVersion(store.db)).toBe(LATEST_VERSION);
    expect(getProfile(store, 'old')).toEqual({
      id: 'old',
      name: 'Legacy',
      flavour: 'Activeconnect',
      baseUrl: 'https://activeapi.ninja',
      applicationId: 'EF86DCFAEA21818B904CE6087413E3B2',
      concurrency: 4,
      sendOwnIds: false,
      createdAt: 10,
      updatedAt: 10,
    });
    insertAudit(store, {
      at: 1,
      profileId: 'old',
      profileName: 'Legacy',
      action: 'application.add',
      target: 'Legacy',
      outcome: 'ok',
      errorCode: null,
      actor: null,
    });
  });

  it('rolls back a failing migration step and leaves the version where it was', () => {
    const path = join(dir, 'broken.sqlite');
    const broken = [
      MIGRATIONS[0]!,
      {
        version: 2,
        description: 'fails half-way',
        up(db: DatabaseSync) {
          db.exec('CREATE TABLE half_done (x INTEGER)');
          throw new Error('boom');
        },
      },
    ];
    expect(() => openStore(path, { migrations: broken })).toThrow(AppError);
    const raw = new DatabaseSync(path);
    expect(userVersion(raw)).toBe(1);
    expect(raw.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").get()).toEqual({ n: 0 });
    raw.close();
  });

  it('refuses a file written by a newer schema, without touching it', () => {
    const path = join(dir, 'future.sqlite');
    openStore(path).close();
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA user_version = ${String(LATEST_VERSION + 1)}`);
    raw.close();
    const before = readFileSync(path);
    let caught: unknown;
    try {
      openStore(path);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('conflict');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('rolls a failed transaction back completely', () => {
    store = openStore(join(dir, 'tx.sqlite'));
    const s = store;
    expect(() =>
      s.transaction(() => {
        insertProfile(s, sampleProfile({ id: 'a', name: 'A' }));
        insertProfile(s, sampleProfile({ id: 'b', name: 'a' })); // names are unique case-insensitively
      }),
    ).toThrow(/UNIQUE/);
    expect(getProfile(s, 'a')).toBeNull();
    expect(s.db.isTransaction).toBe(false);
  });

  it('rejects a flavour outside the three known ones at the schema level', () => {
    store = openStore(join(dir, 'check.sqlite'));
    const s = store;
    expect(() => insertProfile(s, sampleProfile({ flavour: 'Other' as Profile['flavour'] }))).toThrow(/CHECK/);
  });
});

describe('audit table', () => {
  it('is append-only: UPDATE and DELETE abort, even in raw SQL', () => {
    store = openStore(join(dir, 'audit.sqlite'));
    const db = store.db;
    insertAudit(store, {
      at: 5,
      profileId: null,
      profileName: null,
      action: 'application.add',
      target: 'X',
      outcome: 'ok',
      errorCode: null,
      actor: null,
    });
    expect(() => db.exec("UPDATE audit SET outcome = 'error'")).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM audit')).toThrow(/append-only/);
    expect(db.prepare('SELECT count(*) AS n, max(outcome) AS o FROM audit').get()).toEqual({ n: 1, o: 'ok' });
  });

  it('refuses links and secret-shaped values at insert, whoever writes', () => {
    store = openStore(join(dir, 'audit2.sqlite'));
    const s = store;
    const base = {
      at: 5,
      profileId: null,
      profileName: null,
      action: 'user.onboard',
      outcome: 'ok' as const,
      errorCode: null,
      actor: 'alice@laptop',
    };
    expect(() => insertAudit(s, { ...base, target: 'https://main.iam-api.com/register/abc' })).toThrow(
      /links or secrets/,
    );
    expect(() =>
      insertAudit(s, { ...base, target: 'secret E8D28A79023C39C200661FCCD268A29A0D347301EF56E64D' }),
    ).toThrow(/links or secrets/);
    expect(() =>
      insertAudit(s, { ...base, target: 'ok', profileName: '54977656CF2D133187C8DF95247F2866028DE71159B42B4E' }),
    ).toThrow(/links or secrets/);
    expect(s.db.prepare('SELECT count(*) AS n FROM audit').get()).toEqual({ n: 0 });
    // An ordinary 32-hex application ID is fine.
    insertAudit(s, { ...base, target: '10FB9102F29A422EB14AB2F2D0F0CC02' });
  });
});
