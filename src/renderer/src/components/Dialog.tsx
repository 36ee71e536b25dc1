/**
 * A modal dialog on the native <dialog> element: showModal() gives the focus
 * trap, the inert background and Escape (which calls onClose). Content is
 * rendered only while open, so forms start fresh each time.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

export interface DialogProps {
  open: boolean;
  title: string;
  /** Called on Escape, the close button, or a cancel action. */
  onClose: () => void;
  children: ReactNode;
  /** sm: confirmations; md: forms; lg: wizards with tables. */
  size?: 'sm' | 'md' | 'lg';
  description?: string;
}

export function Dialog({ open, title, onClose, children, size = 'md', description }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      className={`dialog dialog--${size}`}
      aria-labelledby={titleId}
      aria-describedby={description ? descId : undefined}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <>
          <header className="dialog__header">
            <h2 id={titleId} className="dialog__title">
              {title}
            </h2>
            <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
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
