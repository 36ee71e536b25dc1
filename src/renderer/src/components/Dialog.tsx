/**
 * The console's one modal dialog, on the native <dialog> element:
 * showModal() gives the focus trap, the inert background and Escape (which
 * calls onClose); focus returns to what had it before the dialog opened.
 * Content is rendered only while open, so forms start fresh each time.
 *
 * Controlled (`open`), or mounted while shown (omit `open`). `bare`: no
 * header (the content is its own, as the command palette's); the title is
 * then the dialog's accessible name only.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

export interface DialogProps {
  /** Default true: the dialog shows while it is mounted. */
  open?: boolean;
  title: string;
  /** Called on Escape, the close button, or a cancel action. */
  onClose: () => void;
  children: ReactNode;
  /** sm: confirmations; md: forms; lg: wizards, tables and previews. */
  size?: 'sm' | 'md' | 'lg';
  description?: string;
  testId?: string;
  bare?: boolean;
  /** Replaces the dialog's own classes (`dialog dialog--<size>`). */
  className?: string;
  /** A mouse-down on the dialog element itself (its backdrop, or a bare edge of its box) calls onClose. */
  closeOnBackdrop?: boolean;
}

export function Dialog({
  open = true,
  title,
  onClose,
  children,
  size = 'md',
  description,
  testId,
  bare = false,
  className,
  closeOnBackdrop = false,
}: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  const close = useRef(onClose);
  useEffect(() => {
    close.current = onClose;
  });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || !open) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      if (before?.isConnected) before.focus();
    };
  }, [open]);

  return (
    <dialog
      ref={ref}
      className={className ?? `dialog dialog--${size}`}
      aria-labelledby={bare ? undefined : titleId}
      aria-label={bare ? title : undefined}
      aria-describedby={description ? descId : undefined}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        close.current();
      }}
      onMouseDown={
        closeOnBackdrop
          ? (e) => {
              if (e.target === ref.current) close.current();
            }
          : undefined
      }
    >
      {open && bare && children}
      {open && !bare && (
        <>
          <header className="dialog__header">
            <h2 id={titleId} className="dialog__title" title={title}>
              {title}
            </h2>
            <button type="button" className="icon-button" aria-label="Close" onClick={() => close.current()}>
              <span aria-hidden="true">×</span>
            </button>
          </header>
          {description && (
            <p id={descId} className="dialog__description">
              {description}
            </p>
          )}
          <div className="dialog__body">{children}</div>
        </>
      )}
    </dialog>
  );
}
