/**
 * Output: results on stdout (a table or JSON), errors on stderr as one line
 * (or one JSON object with --json), progress on stderr only when it is a
 * terminal. `scrub` removes every secret the process knows from any text
 * bound for stderr.
 */
import type { ErrorInfo } from '../shared/errors.ts';

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: NodeJS.ProcessEnv;
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

  /** A result line (human mode). */
  line(text = ''): void {
    this.#io.stdout.write(`${text}\n`);
  }

  /** A result as JSON (one document, or one line when `ndjson`). */
  data(value: unknown, ndjson = false): void {
    this.#io.stdout.write(`${ndjson ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`);
  }

  /** A note for a human on stderr (never in --json mode). */
  note(text: string): void {
    if (!this.json) this.#io.stderr.write(`${this.scrub(text)}\n`);
  }

  error(info: ErrorInfo): void {
    this.endProgress();
    if (this.json) {
      this.#io.stderr.write(`${JSON.stringify({ error: { ...info, message: this.scrub(info.message) } })}\n`);
    } else {
      this.#io.stderr.write(`iampass-admin: ${this.scrub(info.message).replace(/\s+/g, ' ')} [${info.code}]\n`);
    }
  }

  usage(message: string, usage: string | null): void {
    this.endProgress();
    if (this.json)
      this.#io.stderr.write(
        `${JSON.stringify({ error: { code: 'usage', message: this.scrub(message), retryable: false } })}\n`,
      );
    else
      this.#io.stderr.write(
        `iampass-admin: ${this.scrub(message)}\n${usage ? `usage: ${usage}\nRun with --help for details.\n` : ''}`,
      );
  }

  /** "label done/total" on one rewritten stderr line, only on a terminal. */
  progress(label: string, done: number, total: number): void {
    if (!this.#io.stderr.isTTY) return;
    this.#progressShown = true;
    this.#io.stderr.write(`\r\x1b[2K${label} ${done}/${total}`);
  }

  endProgress(): void {
    if (!this.#progressShown) return;
    this.#progressShown = false;
    this.#io.stderr.write('\r\x1b[2K');
  }
}

/** A plain aligned table: header row, then rows. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}

export function when(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
