/**
 * A small status or category label: one colour per meaning, the same in
 * every screen and both schemes ('ok' done or registered, 'warn' waiting or
 * not yet, 'danger' refused or failed, 'walk' walked away, 'neutral' no
 * verdict, 'outline' not there at all). `dot` adds a leading dot; 'pulse'
 * animates it for something still in progress (still with reduced motion).
 * Other span attributes (title, data-*) pass through.
 */
import type { HTMLAttributes, ReactNode } from 'react';

export type BadgeTone = 'neutral' | 'accent' | 'ok' | 'warn' | 'danger' | 'walk' | 'violet' | 'outline';

export function Badge({
  tone = 'neutral',
  dot,
  children,
  ...rest
}: {
  tone?: BadgeTone;
  dot?: 'steady' | 'pulse';
  children: ReactNode;
} & Omit<HTMLAttributes<HTMLSpanElement>, 'className' | 'children'>) {
  return (
    <span className={`badge badge--${tone}`} {...rest}>
      {dot ? <span className={`badge__dot${dot === 'pulse' ? ' badge__dot--pulse' : ''}`} aria-hidden="true" /> : null}
      {children}
    </span>
  );
}
