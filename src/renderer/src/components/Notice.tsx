/**
 * An inline message box: info, success, warning, walked away or error.
 * Errors and walk-aways are announced (role=alert), the rest politely
 * (role=status). With `onDismiss` it has a close button; `actions` go beside
 * it; `toast` floats it (inside a `.toasts` stack). A success notice set
 * through a store should go by itself (expireNotice), an error stays until
 * dismissed or replaced.
 */
import type { ReactNode } from 'react';

export type NoticeTone = 'info' | 'ok' | 'warn' | 'walk' | 'error';

export function Notice({
  tone = 'info',
  title,
  children,
  testId,
  onDismiss,
  actions,
  toast = false,
}: {
  tone?: NoticeTone;
  title?: string;
  children?: ReactNode;
  testId?: string;
  onDismiss?: () => void;
  actions?: ReactNode;
  toast?: boolean;
}) {
  const side = onDismiss !== undefined || actions !== undefined;
  return (
    <div
      className={`notice notice--${tone}${side ? ' notice--dismissable' : ''}${toast ? ' notice--toast' : ''}`}
      role={tone === 'error' || tone === 'walk' ? 'alert' : 'status'}
      data-testid={testId}
    >
      <div className="notice__text">
        {title && <strong className="notice__title">{title}</strong>}
        {children && <div className="notice__body">{children}</div>}
      </div>
      {side ? (
        <div className="notice__side">
          {actions}
          {onDismiss ? (
            <button type="button" className="icon-button notice__dismiss" aria-label="Dismiss" onClick={onDismiss}>
              <span aria-hidden="true">×</span>
            </button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
