/**
 * Output: results on stdout (a table or JSON), errors on stderr as one line
 * (or one JSON object with --json), progress on stderr only when it is a
 * terminal. `scrub` removes every secret the process knows from any text
 * bound for stderr. Every string bound for stdout or stderr goes through
 * `forTerminal`: control characters, C1 controls and bidirectional overrides
 * from a CSV, a user ID or a server's answer are shown as escapes, never
 * interpreted by the terminal. Only `raw` (the QR code's own colours) skips it.
 */
import type { ErrorInfo } from '../shared/errors.ts';
import { writeChunks } from '../main/services/users-export.ts';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: NodeJS.ProcessEnv;
}

/**
 * C0 controls (ESC, BEL, CR, backspace...), DEL, C1 controls (a lone 0x9B is
 * a CSI on some terminals) and the bidirectional overrides/isolates that
 * reorder what a terminal shows ("Trojan Source").
 */
const UNSAFE_RE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_INLINE_RE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch === '\n') return '\\n';
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  return code <= 0xff
    ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`
    : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Text safe to write to a terminal: every unsafe character as a visible
 * escape (`\x1B`, `\u202E`). `multiline` keeps line breaks (LF, CRLF) and
 * tabs (a table, a help text, a CSV export); a lone CR, which would overwrite
 * the line, is escaped. Otherwise every control is escaped (a cell, a user ID).
 */
export function forTerminal(text: string, multiline = true): string {
  return text.replace(multiline ? UNSAFE_RE : UNSAFE_INLINE_RE, escapeChar);
}

/** JSON text with the characters JSON.stringify leaves raw (DEL, C1, bidi controls) escaped as \uXXXX: still valid JSON. */
function safeJson(text: string): string {
  return text.replace(UNSAFE_RE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class Output {
  readonly json: boolean;
  readonly #io: Io;
  readonly #secrets = new Set<string>();
  #progressShown = false;

  constructor(io: Io, json: boolean) {
    this.#io = io;
    this.json = json;
  }

  /** Registers a value that must never reach stderr (the secret read from the environment or stdin). */
  secret(value: string): void {
    if (value.length >= 8) this.#secrets.add(value);
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.#secrets) out = out.split(s).join('[redacted]');
    return out;
  }

  /** A result line (human mode); unsafe characters escaped. */
  line(text = ''): void {
    this.#io.stdout.write(`${forTerminal(text)}\n`);
  }

  /** Output of our own making that carries terminal escapes on purpose (the QR code's colours): never user or server text. */
  raw(text: string): void {
    this.#io.stdout.write(`${text}\n`);
  }

  /** A result as JSON (one document, or one line when `ndjson`). */
  data(value: unknown, ndjson = false): void {
    this.#io.stdout.write(`${safeJson(ndjson ? JSON.stringify(value) : JSON.stringify(value, null, 2))}\n`);
  }

  /**
   * Result text too big to hold, chunk by chunk on stdout with backpressure
   * (waits for `drain`): JSON with the same escapes as `data`, text as `line`.
   */
  async stream(chunks: Iterable<string>, kind: 'json' | 'text'): Promise<void> {
    const safe = kind === 'json' ? safeJson : (t: string) => forTerminal(t);
    await writeChunks(this.#io.stdout, mapChunks(chunks, safe));
  }

  /** A note for a human on stderr (never in --json mode). */
  note(text: string): void {
    if (!this.json) this.#io.stderr.write(`${forTerminal(this.scrub(text))}\n`);
  }

  error(info: ErrorInfo): void {
    this.endProgress();
    if (this.json) {
      this.#io.stderr.write(`${safeJson(JSON.stringify({ error: { ...info, message: this.scrub(info.message) } }))}\n`);
    } else {
      this.#io.stderr.write(
        `iampass-admin: ${forTerminal(this.scrub(info.message).replace(/\s+/g, ' '), false)} [${info.code}]\n`,
      );
    }
  }

  usage(message: string, usage: string | null): void {
    this.endProgress();
    if (this.json)
      this.#io.stderr.write(
        `${safeJson(JSON.stringify({ error: { code: 'usage', message: this.scrub(message), retryable: false } }))}\n`,
      );
    else
      this.#io.stderr.write(
        `iampass-admin: ${forTerminal(this.scrub(message))}\n${usage ? `usage: ${forTerminal(usage)}\nRun with --help for details.\n` : ''}`,
      );
  }

  /** "label done/total" on one rewritten stderr line, only on a terminal. */
  progress(label: string, done: number, total: number): void {
    if (!this.#io.stderr.isTTY) return;
    this.#progressShown = true;
    this.#io.stderr.write(`\r\x1b[2K${forTerminal(label, false)} ${done}/${total}`);
  }

  endProgress(): void {
    if (!this.#progressShown) return;
    this.#progressShown = false;
    this.#io.stderr.write('\r\x1b[2K');
  }
}

function* mapChunks(chunks: Iterable<string>, f: (t: string) => string): Generator<string> {
  for (const c of chunks) yield f(c);
}

/**
 * `table` for rows streamed from the store: the column widths come from the
 * first `sample` rows (at most 48), later rows are padded to them; chunks of
 * `sample` lines. Constant memory whatever the row count.
 */
export function* tableChunks(
  headers: readonly string[],
  rows: Iterable<readonly string[]>,
  sample = 1000,
): Generator<string> {
  let widths: number[] | null = null;
  let buf: string[][] = [];
  const fmt = (cells: readonly string[], w: readonly number[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(w[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const flush = (): string => {
    if (widths === null) {
      widths = headers.map((h) => h.length);
      for (const r of buf)
        for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (r[i] ?? '').length);
      for (let i = 0; i < widths.length; i++) widths[i] = Math.min(48, widths[i]!);
      const w = widths;
      return `${[fmt(headers, w), ...buf.map((r) => fmt(r, w))].join('\n')}\n`;
    }
    const w = widths;
    return `${buf.map((r) => fmt(r, w)).join('\n')}\n`;
  };
  for (const r of rows) {
    buf.push(r.map((c) => forTerminal(c, false)));
    if (buf.length >= sample) {
      yield flush();
      buf = [];
    }
  }
  if (buf.length > 0 || widths === null) yield flush();
}

/** A plain aligned table: header row, then rows; a cell's line breaks and controls are escaped, so one row is one line. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const safe = rows.map((r) => r.map((c) => forTerminal(c, false)));
  // A loop, not Math.max(...spread): a spread of 140,000 rows overflows the call stack.
  const widths = headers.map((h) => h.length);
  for (const r of safe) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (r[i] ?? '').length);
  for (let i = 0; i < widths.length; i++) widths[i] = Math.min(48, widths[i]!);
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(headers), ...safe.map(fmt)].join('\n');
}

export function when(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
