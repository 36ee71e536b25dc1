/**
 * Shared UI building blocks (every screen reuses them). Buttons are plain
 * <button>s with the classes `btn`, `btn btn--primary`, `btn btn--danger`,
 * `btn btn--ghost`, `btn--sm`; icon-only buttons use `icon-button` + aria-label.
 * Tables: `table` inside `table-wrap`. Cards: `card`. Toolbars: `toolbar`.
 */
import './components.css';

export { Dialog, type DialogProps } from './Dialog.tsx';
export { Field, type FieldProps } from './Field.tsx';
export { Badge, type BadgeTone } from './Badge.tsx';
export { Cut } from './Cut.tsx';
export { EmptyState } from './EmptyState.tsx';
export { Notice, type NoticeTone } from './Notice.tsx';
export { expireNotice, OK_NOTICE_MS } from './expire.ts';
export { ago, clockTime, dateTime, day, plural, useNow } from './format.ts';
