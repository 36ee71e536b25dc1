import { join } from 'node:path';
import Papa from 'papaparse';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/main/store/db.ts';
import { AuditService, REDACTED, redact } from '../../../src/main/services/audit.ts';
import { ADMIN } from '../../../src/main/services/owner.ts';
import { SECRET, tempDir } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let clock = 0;
let audit: AuditService;

beforeEach(() => {
  tmp = tempDir();
  store = openStore(join(tmp.dir, 'admin.sqlite'));
  clock = Date.UTC(2026, 0, 1);
  audit = new AuditService(store, () => clock);
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

const prod = { id: 'p1', name: 'Prod' };
const stage = { id: 'p2', name: 'Stage' };

function seed() {
  const day = 86_400_000;
  audit.record({ action: 'application.add', profile: prod, target: 'Prod', outcome: 'ok' });
  clock += day;
  audit.record({
    action: 'application.test',
    profile: prod,
    target: 'Prod',
    outcome: 'error',
    errorCode: 'unauthorized',
  });
  clock += day;
  audit.record({ action: 'user.add', profile: stage, target: 'alice@example.com', outcome: 'ok' });
  clock += day;
  audit.record({ action: 'application.test', profile: stage, target: 'Stage', outcome: 'ok' });
}

it('filters by action, outcome, profile and date range, newest first, with paging and a total', () => {
  seed();
  const start = Date.UTC(2026, 0, 1);
  expect(audit.query({ action: 'application.test' }).rows.map((r) => r.profileName)).toEqual(['Stage', 'Prod']);
  expect(audit.query({ outcome: 'error' }).rows.map((r) => [r.action, r.errorCode])).toEqual([
    ['application.test', 'unauthorized'],
  ]);
  expect(audit.query({ profileId: 'p2' }).total).toBe(2);
  expect(audit.query({ from: start + 86_400_000, to: start + 3 * 86_400_000 }).rows.map((r) => r.action)).toEqual([
    'user.add',
    'application.test',
  ]);
  const page1 = audit.query({}, { limit: 3 });
  const page2 = audit.query({}, { limit: 3, offset: 3 });
  expect(page1.total).toBe(4);
  expect([...page1.rows, ...page2.rows].map((r) => r.action)).toEqual([
    'application.test',
    'user.add',
    'application.test',
    'application.add',
  ]);
});

it('text search: anywhere in the target, action, admin or application name, case-insensitive, % and _ literal, with the other filters', () => {
  seed();
  audit.record({ action: 'user.add', profile: stage, target: '100%_done', outcome: 'ok' });
  audit.record({ action: 'user.add', profile: stage, target: '100xydone', outcome: 'ok' });
  const targets = (f: Parameters<AuditService['query']>[0]) => audit.query(f).rows.map((r) => r.target);
  expect(targets({ text: 'ALICE' })).toEqual(['alice@example.com']);
  expect(targets({ text: '%_' })).toEqual(['100%_done']);
  expect(targets({ text: 'stage', action: 'application.test' })).toEqual(['Stage']);
  expect(targets({ text: 'application.t' })).toEqual(['Stage', 'Prod']);
  // By the words the Audit screen shows for an action.
  expect(targets({ text: 'connection TESTED' })).toEqual(['Stage', 'Prod']);
  expect(audit.query({ text: ADMIN.split('@')[0]! }).total).toBe(6);
  expect(audit.query({ text: 'nobody-at-all' }).total).toBe(0);
  // An exact target: the entries about one user (not a substring of another's).
  expect(targets({ target: 'alice@example.com' })).toEqual(['alice@example.com']);
  expect(targets({ target: 'alice' })).toEqual([]);
});

it('only ever stores an error code, and redacts links and secret-shaped values from targets', () => {
  audit.record({
    action: 'user.onboard',
    profile: prod,
    target: `alice https://main.iam-api.com/register/x?t=1 ${SECRET}`,
    outcome: 'ok',
  });
  audit.record({ action: 'user.onboard', profile: prod, target: 'bob', outcome: 'error' });
  const rows = audit.query().rows;
  expect(rows.map((r) => [r.target, r.errorCode])).toEqual([
    ['bob', 'internal'],
    [`alice ${REDACTED} ${REDACTED}`, null],
  ]);
  expect(redact(`${SECRET.toLowerCase()}`)).toBe(REDACTED);
  expect(() => audit.record({ action: 'Drop Table' as 'user.add', outcome: 'ok' })).toThrow(
    expect.objectContaining({ code: 'invalid_input' }) as Error,
  );
});

it('exports CSV that round-trips through a CSV parser (quotes, commas, newlines, formulas)', () => {
  audit.record({ action: 'user.add', profile: prod, target: 'O"Brien, Jr.\nline two', outcome: 'ok' });
  audit.record({ action: 'user.add', profile: prod, target: '=HYPERLINK("x")', outcome: 'ok' });
  const csv = audit.exportCsv();
  const parsed = Papa.parse<string[]>(csv.trim(), { newline: '\r\n' }).data;
  expect(parsed[0]).toEqual(['time', 'application', 'admin', 'action', 'target', 'outcome', 'errorCode']);
  expect(parsed[1]).toEqual([new Date(clock).toISOString(), 'Prod', ADMIN, 'user.add', `'=HYPERLINK("x")`, 'ok', '']);
  expect(parsed[2]![4]).toBe('O"Brien, Jr.\nline two');
  expect(parsed).toHaveLength(3);
});

it('exports JSON honouring the same filter', () => {
  seed();
  const json = JSON.parse(audit.exportJson({ outcome: 'ok', profileId: 'p1' })) as Record<string, unknown>[];
  expect(json).toEqual([
    {
      time: new Date(Date.UTC(2026, 0, 1)).toISOString(),
      application: 'Prod',
      admin: ADMIN,
      action: 'application.add',
      target: 'Prod',
      outcome: 'ok',
      errorCode: null,
    },
  ]);
});
