/**
 * The "More actions" menu of a user row: one instance for the screen, fixed
 * next to the button that opened it (rows are virtualized and clipped by the
 * scroller, so the menu cannot live inside them). WAI-ARIA menu button:
 * arrows / Home / End move, Enter or Space acts, Escape or Tab closes and
 * focus returns to the button.
 */
import { useEffect, useRef, type KeyboardEvent } from 'react';

export interface MenuItem {
  label: string;
  danger?: boolean;
  run: () => void;
}

export function RowMenu(props: { anchor: HTMLElement; label: string; items: MenuItem[]; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const { anchor, onClose } = props;
  const rect = anchor.getBoundingClientRect();
  const below = rect.bottom + 240 < window.innerHeight;
  const style = below
    ? { top: rect.bottom + 4, right: window.innerWidth - rect.right }
    : { bottom: window.innerHeight - rect.top + 4, right: window.innerWidth - rect.right };

  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const away = (e: PointerEvent) => {
      const t = e.target as Node | null;
      if (t && !ref.current?.contains(t) && !anchor.contains(t)) onClose();
    };
    const scroll = (e: Event) => {
      if (!ref.current?.contains(e.target as Node)) onClose();
    };
    document.addEventListener('pointerdown', away, true);
    document.addEventListener('scroll', scroll, true);
    window.addEventListener('blur', onClose);
    return () => {
      document.removeEventListener('pointerdown', away, true);
      document.removeEventListener('scroll', scroll, true);
      window.removeEventListener('blur', onClose);
    };
  }, [anchor, onClose]);

  const close = (refocus: boolean) => {
    onClose();
    if (refocus && anchor.isConnected) anchor.focus();
  };

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = [...(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    let next = -1;
    if (e.key === 'ArrowDown') next = (at + 1) % items.length;
    else if (e.key === 'ArrowUp') next = (at - 1 + items.length) % items.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = items.length - 1;
    else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close(true);
      return;
    } else if (e.key === 'Tab') {
      close(false);
      return;
    }
    if (next >= 0) {
      e.preventDefault();
      items[next]?.focus();
    }
  };

  return (
    <div
      ref={ref}
      role="menu"
      aria-label={props.label}
      className="ux-menu"
      style={style}
      onKeyDown={onKey}
      data-testid="row-menu"
    >
      {props.items.map((item) => (
        <button
          key={item.label}
          type="button"
          role="menuitem"
          tabIndex={-1}
          className={item.danger ? 'ux-menu__item ux-menu__item--danger' : 'ux-menu__item'}
          onClick={() => {
            close(true);
            item.run();
          }}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}
