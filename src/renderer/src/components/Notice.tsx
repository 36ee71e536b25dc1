/**
 * An inline message box: info, success, warning or error. Errors are
 * announced (role=alert), the rest politely (role=status). With `onDismiss`
 * it has a close button; a success notice set through a store should go by
 * itself (expireNotice), an error stays until dismissed or replaced.
 */
import type { ReactNode } from 'react';

export type NoticeTone = 'info' | 'ok' | 'warn' | 'error';

export function Notice({
  tone = 'info',
  title,
  children,
  testId,
  onDismiss,
}: {
  tone?: NoticeTone;
  title?: string;
  children?: ReactNode;
  testId?: string;
  onDismiss?: () => void;
}) {
  return (
    <div
      className={`notice notice--${tone}${onDismiss ? ' notice--dismissable' : ''}`}
      role={tone === 'error' ? 'alert' : 'status'}
      data-testid={testId}
    >
      <div className="notice__text">
        {title && <strong className="notice__title">{title}</strong>}
        {children && <div className="notice__body">{children}</div>}
      </div>
      {onDismiss ? (
        <button type="button" className="icon-button notice__dismiss" aria-label="Dismiss" onClick={onDismiss}>
          <span aria-hidden="true">×</span>
        </button>
      ) : null}
    </div>
  );
}
