/**
 * A modal on the native <dialog> (showModal: focus stays inside, the page is
 * inert, Escape cancels). Focus goes back to what had it before on close.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function Modal(props: {
  title: string;
  description?: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onClose = useRef(props.onClose);
  useEffect(() => {
    onClose.current = props.onClose;
  });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    el.showModal();
    const cancel = (e: Event) => {
      e.preventDefault();
      onClose.current();
    };
    el.addEventListener('cancel', cancel);
    return () => {
      el.removeEventListener('cancel', cancel);
      if (el.open) el.close();
      if (before?.isConnected) before.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={props.wide ? 'ux-modal ux-modal--wide' : 'ux-modal'}
      aria-labelledby={titleId}
      data-testid={props.testId}
    >
      <header className="ux-modal__head">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={() => onClose.current()}>
          <span aria-hidden="true">×</span>
        </button>
      </header>
      {props.description ? <p className="ux-modal__desc">{props.description}</p> : null}
      <div className="ux-modal__body">{props.children}</div>
    </dialog>
  );
}
