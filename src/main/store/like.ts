/** A LIKE / ILIKE pattern matching `text` anywhere; its own %, _ and backslash are literal (with ESCAPE backslash). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
