// Property-based tests over hostile strings (issue 11): huge text, control
// characters, terminal escapes, lone surrogates, invalid UTF-8, formula
// prefixes, broken quoting. For every generated input: no crash (only the
// typed invalid_input), bounded time, bounded output, and no state change when
// the input is refused. A fixed number of runs per property keeps CI bounded.
import fc from 'fast-check';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forTerminal } from '../../../src/cli/output.ts';
import { cleanReason } from '../../../src/main/iampass/client.ts';
import { redact } from '../../../src/main/services/audit.ts';
import { CSV_FORMULA_RE, previewCsv, toCsv } from '../../../src/main/services/csv.ts';
import { checkUserInput } from '../../../src/main/services/user-input.ts';
import { decodeCsvBytes } from '../../../src/shared/csv-text.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { Harness, signed } from '../sandbox/helpers.ts';
import { usersFixture, type UsersFixture } from '../users/fixture.ts';

const RUNS = 200;
/** Generous per-input bound: linear work on a few hundred KiB is milliseconds; the quadratic patterns took seconds. */
const BOUND_MS = 250;

/** Any UTF-16 unit, lone surrogates included. */
const unit16 = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const FRAGMENTS = [
  '\u001b[2J',
  '\u001b]0;PWNED\u0007',
  '\u009b31m',
  '\u202e',
  '\r',
  '\n',
  '\r\n',
  '\t',
  '\u0000',
  '"',
  '""',
  ',',
  ';',
  '=',
  '+',
  '-',
  '@',
  '=1+1',
  'https://x.example/reg/abc',
  'a://',
  'a.',
  ' ',
  '\uFEFF',
  '\uFFFD',
  '\ud800',
  '\udc00',
  'E8D28A79023C39C200661FCCD268A29A0D347301EF56E64D',
  'zoë',
  '李',
  '😀',
  '%',
  '+',
  '/',
];
const fragment = fc.constantFrom(...FRAGMENTS);
/** Short mixes of hostile fragments and arbitrary units, plus long runs of one fragment (up to ~300 KiB). */
const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: unit16, maxLength: 64 }),
  fc
    .array(fc.oneof(fragment, fc.string({ unit: unit16, maxLength: 8 })), { maxLength: 40 })
    .map((parts) => parts.join('')),
  fc
    .tuple(fc.oneof(fragment, fc.constantFrom('a', 'ab', 'a.', ' ', 'A0')), fc.integer({ min: 1_000, max: 150_000 }))
    .map(([f, n]) => f.repeat(n)),
);

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const C0_C1 = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const TERMINAL_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('pure functions on hostile strings', () => {
  it('redact: bounded time (< 50 ms) and length; no link or 48-hex run survives', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const { value, ms } = timed(() => redact(s)!);
        expect(ms).toBeLessThan(50);
        expect(value.length).toBeLessThanOrEqual(500);
        expect(value).not.toMatch(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s[]/);
        expect(value).not.toMatch(/[0-9A-Fa-f]{48}/);
      }),
      { numRuns: RUNS },
    );
  });

  it("cleanReason: bounded time and length, no control characters, links or the session's secret", () => {
    const secret = 'E8D28A79023C39C200661FCCD268A29A0D347301EF56E64D';
    fc.assert(
      fc.property(hostile, (s) => {
        const { value, ms } = timed(() => cleanReason(s, [secret]));
        expect(ms).toBeLessThan(50);
        expect(value.length).toBeLessThanOrEqual(301);
        expect(value).not.toMatch(C0_C1);
        expect(value).not.toContain(secret);
        expect(value).not.toContain('://x.example');
      }),
      { numRuns: RUNS },
    );
  });

  it('checkUserInput: never throws, bounded time; what it accepts is clean, trimmed, at most 256 characters, never the secret', () => {
    const secret = 'Zk3Pq9Xw2Lm7Nr4Tb8Vc1Hd6Jf5Gs0Ya';
    fc.assert(
      fc.property(hostile, fc.option(hostile, { nil: undefined }), fc.boolean(), (userId, displayName, withSecret) => {
        const input = { userId: withSecret ? `${userId}${secret}` : userId, displayName };
        const { value, ms } = timed(() => checkUserInput(input, { forbidden: [secret] }));
        expect(ms).toBeLessThan(BOUND_MS);
        if (withSecret) expect(value.ok).toBe(false);
        if (!value.ok) {
          expect(value.problem.length).toBeLessThan(200);
          return;
        }
        for (const text of [value.userId, value.displayName]) {
          expect(text.isWellFormed()).toBe(true);
          expect(text).not.toMatch(CONTROL);
          expect([...text].length).toBeLessThanOrEqual(256);
          expect(text).toBe(text.replace(/^ +| +$/g, ''));
          expect(text).not.toContain(secret);
        }
        expect(value.userId).not.toBe('');
      }),
      { numRuns: RUNS },
    );
  });

  it('previewCsv: a typed invalid_input or a consistent preview; accepted rows are clean and echoes bounded', () => {
    const csvText = fc.oneof(
      hostile,
      fc
        .array(fc.array(fc.oneof(hostile, fragment), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 })
        .map((rows) => rows.map((r) => r.join(',')).join('\n')),
    );
    fc.assert(
      fc.property(csvText, (text) => {
        let preview;
        const t0 = performance.now();
        try {
          preview = previewCsv(text, { previewRows: 500 });
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).code).toBe('invalid_input');
          return;
        } finally {
          expect(performance.now() - t0).toBeLessThan(BOUND_MS * 4);
        }
        expect(preview.validRows + preview.invalidRows).toBe(preview.totalRows);
        for (const row of preview.preview) {
          expect(row.userId.length).toBeLessThanOrEqual(2 * 256 + 1);
          if (row.problem === null) {
            expect(row.userId.isWellFormed()).toBe(true);
            expect(row.userId).not.toMatch(CONTROL);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('decodeCsvBytes: text without NUL or U+FFFD, or a typed refusal', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 4096 }),
      hostile.map((s) => new TextEncoder().encode(s)),
      hostile.map((s) => new Uint8Array(Buffer.from(s, 'utf16le'))),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        try {
          const { text } = decodeCsvBytes(b);
          expect(text.includes('\u0000')).toBe(false);
          expect(text.includes('\uFFFD')).toBe(false);
        } catch (error) {
          expect((error as AppError).code).toBe('invalid_input');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('forTerminal: nothing a terminal would interpret survives', () => {
    fc.assert(
      fc.property(hostile, fc.boolean(), (s, multiline) => {
        const out = forTerminal(s, multiline);
        // CRLF is a line end; a lone CR (overwrites the line) is not.
        expect(out.replace(/\r\n/g, '\n')).not.toMatch(TERMINAL_UNSAFE);
        if (!multiline) expect(out).not.toMatch(/[\n\t]/);
      }),
      { numRuns: RUNS },
    );
  });

  it('toCsv: every cell reads back as written, formula-like cells prefixed with a quote, whatever follows them', () => {
    const cell = fc.oneof(
      hostile.map((s) => s.slice(0, 500)),
      fc.tuple(fc.constantFrom('=', '+', '-', '@', '\t', '\r', '＝'), hostile).map(([p, s]) => p + s.slice(0, 200)),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 5 }), (rows) => {
        const wellFormed = rows.map((r) => r.map((c) => c.toWellFormed()) as [string, string]);
        const back = Papa.parse<string[]>(toCsv(['a', 'b'], wellFormed), { newline: '\r\n' }).data.slice(1);
        expect(back).toHaveLength(wellFormed.length);
        back.forEach((r, i) => {
          r.forEach((c, j) => {
            const original = wellFormed[i]![j]!;
            expect(c).toBe(CSV_FORMULA_RE.test(original) ? `'${original}` : original);
            expect(c).not.toMatch(CSV_FORMULA_RE);
          });
        });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('the sandbox routes on hostile user IDs (loopback)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  const users = async (): Promise<number> =>
    ((await (await fetch(`${h.sandbox.baseUrl}/sandbox/stats`)).json()) as { users: number }).users;
  const clean = (s: string) => s.length >= 1 && s.length <= 512 && s.isWellFormed() && !C0_C1.test(s);

  it('add_users stores a user only when it is clean text; anything else is a 400 that changes nothing; lookups never fail with a 5xx', async () => {
    const id = fc.oneof(
      hostile.map((s) => s.slice(0, 600)),
      fragment,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(id, { minLength: 1, maxLength: 4 }), async (ids) => {
        const before = await users();
        const r = await signed('POST', h.mgmt('add_users'), h.app, { body: JSON.stringify({ users: ids }) });
        if (ids.every(clean)) {
          expect(r.status).toBe(201);
        } else {
          expect(r.status).toBe(400);
          expect(await users()).toBe(before);
        }
        const look = await signed('GET', h.mgmt('has_registered_mobile_device', ids[0]), h.app);
        expect(look.status).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
  });

  it('bodies of arbitrary bytes: a 4xx, never a crash or a stored user', async () => {
    const before = await users();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
        const body = Buffer.concat([Buffer.from('{"users":["'), Buffer.from(bytes), Buffer.from('"]}')]);
        const r = await signed('POST', h.mgmt('add_users'), h.app, { body: body as unknown as string });
        expect(r.status).toBeLessThan(500);
        if (r.status !== 201) expect(r.status).toBe(400);
      }),
      { numRuns: 60 },
    );
    // Only bodies that were valid UTF-8 JSON of clean IDs may have added users.
    expect(await users()).toBeGreaterThanOrEqual(before);
  });
});

describe('UsersService.add on hostile rows (real sandbox, SQLite, keychain)', () => {
  let f: UsersFixture;
  beforeAll(async () => {
    f = await usersFixture();
  });
  afterAll(() => f.close());

  it('one result per row; refused rows change nothing at IAMPASS or in the directory; created rows are exactly the clean new ones', async () => {
    const stats = async () =>
      ((await (await fetch(`${f.sandbox.baseUrl}/sandbox/stats`)).json()) as { users: number }).users;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            userId: hostile.map((s) => s.slice(0, 400)),
            displayName: fc.option(
              hostile.map((s) => s.slice(0, 300)),
              { nil: undefined },
            ),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        async (inputs) => {
          const beforeDir = f.services.users.snapshot().count;
          const beforeRemote = await stats();
          const done = await f.finished(f.services.users.add(inputs));
          expect(done.rows).toHaveLength(inputs.length);
          const created = done.rows.filter((r) => r.result === 'created').length;
          expect(f.services.users.snapshot().count).toBe(beforeDir + created);
          expect(await stats()).toBe(beforeRemote + created);
          for (const r of done.rows) {
            expect(r.userId.length).toBeLessThanOrEqual(2 * 256 + 1);
            if (r.result === 'invalid') expect(r.reason).toBeTruthy();
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
