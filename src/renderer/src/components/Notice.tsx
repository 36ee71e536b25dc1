/** An inline message box: info, success, warning or error (errors are announced). */
import type { ReactNode } from 'react';

export function Notice({
  tone = 'info',
  title,
  children,
  testId,
}: {
  tone?: 'info' | 'ok' | 'warn' | 'error';
  title?: string;
  children?: ReactNode;
  testId?: string;
}) {
  return (
    <div className={`notice notice--${tone}`} role={tone === 'error' ? 'alert' : 'status'} data-testid={testId}>
      {title && <strong className="notice__title">{title}</strong>}
      {children && <div className="notice__body">{children}</div>}
    </div>
  );
}
