/**
 * CSV in and out. Reading: the text is checked (no binary content, see
 * shared/csv-text.ts), parsed with papaparse, and every parser warning about a
 * row becomes that row's problem, so a broken quote never drops rows in
 * silence. Writing: one writer for every CSV the project produces, which
 * neutralises formula-like cells (CSV injection), line breaks included.
 */
import Papa from 'papaparse';
import { checkCsvText } from '../../shared/csv-text.ts';
import { AppError } from '../../shared/errors.ts';
import type { CsvMapping, CsvPreview, CsvPreviewRow } from '../../shared/ipc/users.ts';
import { validateRows, type InputRules, type UserInput } from './user-input.ts';

const USER_HEADER = /^(user(_|\s|-)?(id|name)?|login|username|account|e-?mail|id|uid|upn)$/i;
const NAME_HEADER = /^(display(_|\s|-)?name|full(_|\s|-)?name|name|description)$/i;
const EMAIL_HEADER = /^(e-?mail(_|\s|-)?(address)?|mail)$/i;
const PHONE_HEADER = /^(phone(_|\s|-)?(number)?|mobile|cell(_|\s|-)?phone|tel(ephone)?|sms)$/i;
/** A header cell longer than this is data, not a header (and is never matched against the patterns above). */
const MAX_HEADER_CHARS = 64;
/** File-level warnings kept (row problems are per row, all of them). */
const MAX_WARNINGS = 20;

export interface ParsedCsv {
  columns: string[];
  hasHeader: boolean;
  mapping: CsvMapping;
  rows: UserInput[];
  warnings: string[];
}

function countLineBreaks(cells: readonly string[]): number {
  let n = 0;
  for (const cell of cells) for (let i = cell.indexOf('\n'); i >= 0; i = cell.indexOf('\n', i + 1)) n++;
  return n;
}

/** What a parser error means for the admin, about the row it hit. */
function rowProblem(error: Papa.ParseError, cells: readonly string[]): string {
  if (error.code === 'MissingQuotes') {
    const swallowed = countLineBreaks(cells);
    return swallowed > 0
      ? `An unclosed quote (") starts a field that runs to the end of the file: this row and the ${swallowed} line${swallowed === 1 ? '' : 's'} after it were read as one row and not imported. Close the quote and import again.`
      : 'An unclosed quote (") in this row: it was not imported. Close the quote and import again.';
  }
  if (error.code === 'InvalidQuotes')
    return 'A quote (") inside an unquoted or badly quoted field: this row was not imported. Quote the field and double the quote ("").';
  return `The CSV parser could not read this row (${error.code}): it was not imported.`;
}

export function parseCsv(
  text: string,
  options: { mapping?: CsvMapping | undefined; hasHeader?: boolean | undefined } = {},
): ParsedCsv {
  checkCsvText(text);
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: 'greedy' });
  const data = parsed.data;
  const width = data.reduce((m, r) => Math.max(m, r.length), 0);
  if (width === 0) throw new AppError('invalid_input', 'The CSV file is empty.', { details: { field: 'text' } });
  const first = data[0] ?? [];
  const headerLike = (h: string, re: RegExp) => h.length <= MAX_HEADER_CHARS && re.test(h.trim());
  const guessUser = first.findIndex((h) => headerLike(h, USER_HEADER));
  const guessName = first.findIndex((h) => headerLike(h, NAME_HEADER));
  const hasHeader = options.hasHeader ?? (guessUser >= 0 || guessName >= 0);
  const columns = hasHeader
    ? Array.from({ length: width }, (_, i) => first[i]?.trim().slice(0, MAX_HEADER_CHARS) || `Column ${i + 1}`)
    : Array.from({ length: width }, (_, i) => `Column ${i + 1}`);
  const userGuess = hasHeader && guessUser >= 0 ? guessUser : 0;
  // Contact columns: a column of their own (an "email" column that holds the user ID stays the user ID).
  const guessOther = (re: RegExp) => (hasHeader ? first.findIndex((h, i) => i !== userGuess && headerLike(h, re)) : -1);
  const guessEmail = guessOther(EMAIL_HEADER);
  const guessPhone = guessOther(PHONE_HEADER);
  const mapping: CsvMapping = options.mapping ?? {
    userId: userGuess,
    displayName: hasHeader && guessName >= 0 && guessName !== guessUser ? guessName : null,
    email: guessEmail >= 0 ? guessEmail : null,
    phone: guessPhone >= 0 ? guessPhone : null,
  };
  for (const [field, col] of [
    ['mapping.email', mapping.email],
    ['mapping.phone', mapping.phone],
  ] as const) {
    if (col !== undefined && col !== null && col >= width) {
      throw new AppError(
        'invalid_input',
        `The ${field.slice(8)} column (${col + 1}) is not in the file (${width} columns).`,
        { details: { field } },
      );
    }
  }
  const emailCol = mapping.email ?? null;
  const phoneCol = mapping.phone ?? null;
  if (mapping.userId >= width)
    throw new AppError(
      'invalid_input',
      `The user ID column (${mapping.userId + 1}) is not in the file (${width} columns).`,
      { details: { field: 'mapping.userId' } },
    );
  const nameCol = mapping.displayName ?? null;
  if (nameCol !== null && nameCol >= width)
    throw new AppError(
      'invalid_input',
      `The display name column (${nameCol + 1}) is not in the file (${width} columns).`,
      { details: { field: 'mapping.displayName' } },
    );

  // Every parser warning: about a data row -> that row's problem; anything else -> a file warning.
  const offset = hasHeader ? 1 : 0;
  const problems = new Map<number, string>();
  const warnings: string[] = [];
  for (const e of parsed.errors) {
    const index = e.row;
    if (index !== undefined && index >= offset && index < data.length) {
      // One reason per row; an unterminated quote (rows swallowed) says the most and wins.
      if (!problems.has(index - offset) || e.code === 'MissingQuotes')
        problems.set(index - offset, rowProblem(e, data[index] ?? []));
    } else if (e.code === 'UndetectableDelimiter' && width === 1) {
      // One column, one user per line: there is no delimiter to detect.
    } else if (warnings.length < MAX_WARNINGS) {
      warnings.push(index === undefined ? e.message : `Header row: ${e.message}`);
    }
  }
  if (problems.size > 0)
    warnings.push(
      `${problems.size} row${problems.size === 1 ? '' : 's'} could not be read as CSV and will not be imported (see each row's reason).`,
    );
  const body = hasHeader ? data.slice(1) : data;
  const rows = body.map((r, i): UserInput => {
    const problem = problems.get(i);
    return {
      userId: r[mapping.userId] ?? '',
      displayName: nameCol === null ? undefined : (r[nameCol] ?? ''),
      ...(emailCol !== null && r[emailCol]?.trim() ? { email: r[emailCol] } : {}),
      ...(phoneCol !== null && r[phoneCol]?.trim() ? { phone: r[phoneCol] } : {}),
      ...(problem === undefined ? {} : { problem }),
    };
  });
  return {
    columns,
    hasHeader,
    mapping: { userId: mapping.userId, displayName: nameCol, email: emailCol, phone: phoneCol },
    rows,
    warnings,
  };
}

export function previewCsv(
  text: string,
  options: {
    mapping?: CsvMapping | undefined;
    hasHeader?: boolean | undefined;
    previewRows?: number | undefined;
    rules?: InputRules;
  } = {},
): CsvPreview {
  const csv = parseCsv(text, options);
  const checked = validateRows(csv.rows, options.rules);
  let invalid = 0;
  let duplicates = 0;
  for (const r of checked) {
    if (r.problem !== null) invalid++;
    if (r.duplicate) duplicates++;
  }
  const preview: CsvPreviewRow[] = checked
    .slice(0, options.previewRows ?? 50)
    .map((r) => ({ row: r.row, userId: r.userId, displayName: r.displayName, problem: r.problem }));
  return {
    columns: csv.columns,
    hasHeader: csv.hasHeader,
    mapping: csv.mapping,
    totalRows: checked.length,
    validRows: checked.length - invalid,
    invalidRows: invalid,
    duplicateRows: duplicates,
    preview,
    warnings: csv.warnings,
  };
}

/**
 * Cells a spreadsheet would run as a formula: starting with = + - @, a tab or
 * a carriage return (OWASP's list), or their full-width forms. Tested on the
 * first character only, so a line break later in the cell cannot hide it
 * (papaparse's own default pattern ends in `.*$` and misses such cells).
 */
export const CSV_FORMULA_RE = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

const UNPARSE_OPTIONS = { quotes: false, newline: '\r\n', escapeFormulae: CSV_FORMULA_RE } as const;

function cells(r: readonly (string | number | null | undefined)[]): string[] {
  return r.map((v) => (v === null || v === undefined ? '' : String(v)));
}

/** The project's one CSV writer: a header row, then rows; CRLF line ends; formula-like cells prefixed with `'`. */
export function toCsv(
  fields: readonly string[],
  rows: Iterable<readonly (string | number | null | undefined)[]>,
): string {
  const data: string[][] = [];
  for (const r of rows) data.push(cells(r));
  return Papa.unparse({ fields: [...fields], data }, UNPARSE_OPTIONS);
}

/**
 * The same writer for output too big to hold: the CSV as chunks of at most
 * `chunkRows` rows, each ending in CRLF (the header alone first). The rows are
 * read lazily: memory stays one chunk whatever the row count.
 */
export function* csvChunks(
  fields: readonly string[],
  rows: Iterable<readonly (string | number | null | undefined)[]>,
  chunkRows = 1000,
): Generator<string> {
  yield `${Papa.unparse({ fields: [...fields], data: [] }, UNPARSE_OPTIONS).replace(/\r\n$/, '')}\r\n`;
  let data: string[][] = [];
  const flush = () => `${Papa.unparse({ fields: [...fields], data }, { ...UNPARSE_OPTIONS, header: false })}\r\n`;
  for (const r of rows) {
    data.push(cells(r));
    if (data.length >= chunkRows) {
      yield flush();
      data = [];
    }
  }
  if (data.length > 0) yield flush();
}
