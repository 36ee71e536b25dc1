/** What a list shows when it has nothing to show: a heading, a sentence, maybe an action. */
import type { ReactNode } from 'react';

export function EmptyState({
  title,
  children,
  action,
  alert = false,
  testId,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
  /** A failure to load: announced (role=alert). */
  alert?: boolean;
  testId?: string;
}) {
  return (
    <div className="empty-state" role={alert ? 'alert' : undefined} data-testid={testId}>
      <h2>{title}</h2>
      {children ? <p>{children}</p> : null}
      {action}
    </div>
  );
}
