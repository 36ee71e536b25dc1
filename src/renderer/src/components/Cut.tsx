/**
 * Text that may not fit its box (a table cell, a header, a tight row): one
 * line, cut with an ellipsis, the whole text as its tooltip. The E2E layout
 * check (test/e2e/layout.ts) holds every screen to the same rule.
 */
export function Cut({ text, className }: { text: string; className?: string }) {
  return (
    <span className={className ? `cut ${className}` : 'cut'} title={text}>
      {text}
    </span>
  );
}
