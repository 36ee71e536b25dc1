/**
 * The command palette (Ctrl+K / Cmd+K): a keyboard-first dialog to run an
 * action or jump somewhere. Steps: the actions, then a picker for actions that
 * need a user or an application. ARIA combobox pattern: the input owns a
 * listbox of options (grouped), the active option is announced through
 * aria-activedescendant; ↑/↓/Home/End move, Enter runs, Escape goes back one
 * step then closes, Backspace on an empty query goes back.
 *
 * Hand-written rather than cmdk: the user picker must search a directory of
 * 100,000 users and render only the best 50, which means cmdk's own filtering
 * and item registry would be switched off; what is left is this small
 * combobox in the kit's Dialog (bare: no header), like the console's other
 * dialogs.
 */
import { useEffect, useId, useMemo, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { Result } from '../../../shared/errors.ts';
import type { UserRow } from '../../../shared/ipc/users.ts';
import { Dialog } from '../components/index.ts';
import { openPhone, useSandboxActive } from '../screens/applications/OpenPhone.tsx';
import { useApplications } from '../screens/applications/state.ts';
import { openAuthenticateDialog, useSessions } from '../screens/sessions/index.ts';
import { SCREENS, useShell, type ScreenId } from '../store.ts';
import { fold, scoreFolded } from './fuzzy.ts';
import { loadLiveUsers, searchDirectory, type LiveUser } from './sources.ts';
import { usePalette, type PaletteMode } from './store.ts';
import './palette.css';

type Icon = 'go' | 'user' | 'logout' | 'app' | 'filter';

interface Item {
  key: string;
  label: string;
  /** Secondary text after the label (e.g. a user ID). */
  detail?: string;
  /** Right-aligned hint (e.g. "Current", "No registered device"). */
  hint?: string;
  icon: Icon;
  /** Extra words the fuzzy search matches (root actions). */
  keywords?: string;
  /** Runs the action; a string result is an error shown in the palette, which stays open. */
  run: () => void | Promise<string | null>;
}

interface Group {
  label: string;
  items: Item[];
}

type Loadable<T> = { status: 'loading' } | { status: 'ready'; value: T } | { status: 'error'; message: string };

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
export const PALETTE_SHORTCUT = isMac ? '⌘K' : 'Ctrl K';

const PICKER: Record<Exclude<PaletteMode, 'root'>, { crumb: string; placeholder: string; label: string }> = {
  authenticate: {
    crumb: 'Authenticate',
    placeholder: 'Search users by ID or name…',
    label: 'Search users to authenticate',
  },
  logout: {
    crumb: 'Log out all sessions',
    placeholder: 'Search users with live sessions…',
    label: 'Search users with live sessions to log out',
  },
  application: {
    crumb: 'Switch application',
    placeholder: 'Search applications…',
    label: 'Search applications to switch to',
  },
};

const DEVICE_HINT = {
  registered: 'Registered device',
  not_registered: 'No registered device',
  unknown: 'Device status unknown',
} as const;

function IconGlyph({ icon }: { icon: Icon }) {
  const paths: Record<Icon, ReactNode> = {
    go: <path d="M5 12h12M13 7l5 5-5 5" />,
    user: (
      <>
        <circle cx="12" cy="8" r="3.5" />
        <path d="M5 19c1.2-3.4 3.8-5 7-5s5.8 1.6 7 5" />
      </>
    ),
    logout: (
      <>
        <path d="M10 5H6a1 1 0 0 0-1 1v12a1 1 0 0 0 1 1h4" />
        <path d="M14 8l4 4-4 4M18 12H9" />
      </>
    ),
    app: (
      <>
        <rect x="4" y="4" width="7" height="7" rx="1.5" />
        <rect x="13" y="4" width="7" height="7" rx="1.5" />
        <rect x="4" y="13" width="7" height="7" rx="1.5" />
        <rect x="13" y="13" width="7" height="7" rx="1.5" />
      </>
    ),
    filter: <path d="M4 6h16M7 12h10M10 18h4" />,
  };
  return (
    <svg className="palette__icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      {paths[icon]}
    </svg>
  );
}

/** Runs after the palette has closed (so its focus restore does not fight the next dialog). */
function afterClose(fn: () => void): void {
  usePalette.getState().hide();
  setTimeout(fn, 0);
}

function go(screen: ScreenId): void {
  afterClose(() => useShell.getState().setScreen(screen));
}

function authenticate(userId: string): void {
  afterClose(() => {
    openAuthenticateDialog(userId);
    useShell.getState().setScreen('sessions');
  });
}

function rootGroups(current: ScreenId, sandbox: boolean): Group[] {
  const { setMode } = usePalette.getState();
  return [
    {
      label: 'Actions',
      items: [
        {
          key: 'authenticate',
          label: 'Authenticate user…',
          icon: 'user',
          keywords: 'push request phone session start login',
          run: () => setMode('authenticate'),
        },
        {
          key: 'logout',
          label: 'Log out all sessions of a user…',
          icon: 'logout',
          keywords: 'sign out end close remote',
          run: () => setMode('logout'),
        },
        {
          key: 'application',
          label: 'Switch application…',
          icon: 'app',
          keywords: 'profile change active',
          run: () => setMode('application'),
        },
        ...(sandbox
          ? [
              {
                key: 'phone',
                label: 'Open virtual phone',
                icon: 'user' as const,
                keywords: 'sandbox approve deny register device',
                run: async () => {
                  const message = await openPhone();
                  if (message === null) usePalette.getState().hide();
                  return message;
                },
              },
            ]
          : []),
        {
          key: 'walkaway',
          label: 'Show walked-away sessions',
          icon: 'filter',
          keywords: 'filter walkaway alert',
          run: () =>
            afterClose(() => {
              useShell.getState().setScreen('sessions');
              useSessions.getState().setFilter('walkaway');
            }),
        },
      ],
    },
    {
      label: 'Go to',
      items: SCREENS.map((s) => ({
        key: `go:${s.id}`,
        label: `Go to ${s.label}`,
        icon: 'go' as const,
        keywords: s.blurb,
        ...(s.id === current ? { hint: 'Current' } : {}),
        run: () => go(s.id),
      })),
    },
  ];
}

function userItems(rows: readonly UserRow[], run: (userId: string) => void): Item[] {
  return rows.map((row) => {
    const name = row.displayName;
    return {
      key: `user:${row.userId}`,
      label: name || row.userId,
      ...(name ? { detail: row.userId } : {}),
      hint: DEVICE_HINT[row.deviceState],
      icon: 'user' as const,
      run: () => run(row.userId),
    };
  });
}

/** Main's answer for the users matching `text` (the latest asked: an older answer arriving late is dropped); null before the first. */
function useUserSearch(text: string, limit: number, enabled: boolean): UserRow[] | null {
  const [found, setFound] = useState<{ text: string; rows: UserRow[] } | null>(null);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    void searchDirectory(text, limit).then((r) => {
      if (live && r.ok) setFound({ text, rows: r.value });
    });
    return () => {
      live = false;
    };
  }, [text, limit, enabled]);
  // Rows for another text (an answer still on its way) are not shown as this text's.
  return enabled && found && found.text === text ? found.rows : null;
}

/** Items matching `query`, best first, with their scores (all of them, in order, for an empty query). */
function scoreItems(items: Item[], query: string): { item: Item; score: number }[] {
  const q = fold(query).trim();
  if (!q) return items.map((item) => ({ item, score: 0 }));
  const scored: { item: Item; score: number; i: number }[] = [];
  items.forEach((item, i) => {
    const onLabel = scoreFolded(q, fold(`${item.label} ${item.detail ?? ''}`));
    // Keywords count only when they contain the query as typed (a scattered
    // subsequence over a sentence matches nearly anything), and rank below every label match.
    const onKeywords = item.keywords && fold(item.keywords).includes(q) ? scoreFolded(q, fold(item.keywords)) : null;
    const score = onLabel ?? (onKeywords === null ? null : onKeywords - 100_000);
    if (score !== null) scored.push({ item, score, i });
  });
  return scored.sort((a, b) => b.score - a.score || a.i - b.i);
}

function filterItems(items: Item[], query: string): Item[] {
  return scoreItems(items, query).map((x) => x.item);
}

function useLoad<T>(load: (() => Promise<Result<T>>) | null): Loadable<T> {
  const [state, setState] = useState<Loadable<T>>({ status: 'loading' });
  useEffect(() => {
    if (!load) return;
    let live = true;
    void load().then((r) => {
      if (live) setState(r.ok ? { status: 'ready', value: r.value } : { status: 'error', message: r.message });
    });
    return () => {
      live = false;
    };
  }, [load]);
  return state;
}

function PaletteBody({ mode }: { mode: PaletteMode }) {
  const id = useId();
  const listId = `${id}-list`;
  const optionId = (i: number) => `${id}-opt-${String(i)}`;
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const current = useShell((s) => s.screen);
  const apps = useApplications((s) => s.list);
  const appsLoaded = useApplications((s) => s.loaded);
  const { setMode, hide } = usePalette.getState();

  const activeProfileName = apps.find((a) => a.active)?.name ?? null;
  const sandbox = useSandboxActive();
  const searching = (mode === 'root' && query.trim().length >= 2) || mode === 'authenticate';
  const users = useUserSearch(query, mode === 'root' ? 5 : 50, searching);
  const live = useLoad<LiveUser[]>(mode === 'logout' ? loadLiveUsers : null);

  useEffect(() => {
    if (mode === 'application' && !appsLoaded) void useApplications.getState().load();
  }, [mode, appsLoaded]);

  const groups = useMemo((): Group[] => {
    if (mode === 'root') {
      // Groups keep their items together; with a query the group holding the best match comes first.
      const ranked: { label: string; items: Item[]; best: number }[] = rootGroups(current, sandbox).map((g) => {
        const scored = scoreItems(g.items, query);
        return { label: g.label, items: scored.map((x) => x.item), best: scored[0]?.score ?? -Infinity };
      });
      if (query.trim().length >= 2 && users && users.length > 0) {
        const q = fold(query).trim();
        const best = Math.max(
          ...[users[0]!.userId, users[0]!.displayName, users[0]!.iampassId].map(
            (h) => scoreFolded(q, fold(h)) ?? -Infinity,
          ),
        );
        const items = userItems(users, authenticate).map((it) => ({ ...it, label: `Authenticate ${it.label}` }));
        // Main found them (prefix or substring): they rank with the other groups' best fuzzy match, or just below.
        ranked.push({ label: 'Users', items, best: Number.isFinite(best) ? best : -1_000_000 });
      }
      return ranked
        .filter((g) => g.items.length > 0)
        .sort((a, b) => b.best - a.best)
        .map(({ label, items }): Group => ({ label, items }));
    }
    if (mode === 'authenticate') {
      return users
        ? [
            {
              label: activeProfileName ? `Users of ${activeProfileName}` : 'Users',
              items: userItems(users, authenticate),
            },
          ]
        : [];
    }
    if (mode === 'logout') {
      if (live.status !== 'ready') return [];
      const items = live.value.map((u): Item => ({
        key: `logout:${u.userId}`,
        label: u.displayName ?? u.userId,
        ...(u.displayName ? { detail: u.userId } : {}),
        hint: `${String(u.live)} live session${u.live === 1 ? '' : 's'}`,
        icon: 'logout',
        run: () =>
          afterClose(() => {
            useShell.getState().setScreen('sessions');
            void useSessions.getState().logoutUser(u.userId);
          }),
      }));
      return [{ label: 'Users with live sessions', items: filterItems(items, query) }];
    }
    const items = apps.map((a): Item => ({
      key: `app:${a.id}`,
      label: a.name,
      detail: a.flavour,
      ...(a.active ? { hint: 'Active' } : {}),
      icon: 'app',
      run: async () => {
        const err = await useApplications.getState().setActive(a.id);
        if (err) return err.message;
        hide();
        return null;
      },
    }));
    return [{ label: 'Applications', items: filterItems(items, query) }];
  }, [mode, query, current, sandbox, users, live, apps, hide, activeProfileName]);

  const flat = groups.flatMap((g) => g.items);
  const activeIndex = flat.length === 0 ? -1 : Math.min(active, flat.length - 1);

  useEffect(() => {
    if (activeIndex < 0) return;
    document.getElementById(optionId(activeIndex))?.scrollIntoView({ block: 'nearest' });
  });

  async function run(item: Item | undefined) {
    if (!item || running) return;
    setError(null);
    const r = item.run();
    if (r instanceof Promise) {
      setRunning(true);
      const message = await r;
      setRunning(false);
      if (message) setError(message);
    }
  }

  function back(): boolean {
    if (mode === 'root') return false;
    setMode('root');
    return true;
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    const n = flat.length;
    switch (e.key) {
      case 'ArrowDown':
        if (n) setActive((activeIndex + 1) % n);
        break;
      case 'ArrowUp':
        if (n) setActive((activeIndex - 1 + n) % n);
        break;
      case 'Home':
        if (!n || !e.ctrlKey) return;
        setActive(0);
        break;
      case 'End':
        if (!n || !e.ctrlKey) return;
        setActive(n - 1);
        break;
      case 'PageDown':
        if (n) setActive(Math.min(n - 1, activeIndex + 8));
        break;
      case 'PageUp':
        if (n) setActive(Math.max(0, activeIndex - 8));
        break;
      case 'Enter':
        void run(flat[activeIndex]);
        break;
      case 'Escape':
        if (!back()) hide();
        break;
      case 'Backspace':
        if (query !== '' || !back()) return;
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  }

  const picker = mode === 'root' ? null : PICKER[mode];
  const loadState = mode === 'logout' ? live : null;
  let status: string | null = null;
  if (mode === 'authenticate' && users === null) status = 'Loading…';
  else if (loadState?.status === 'loading') status = 'Loading…';
  else if (loadState?.status === 'error') status = loadState.message;
  else if (mode === 'application' && !appsLoaded) status = 'Loading…';
  else if (flat.length === 0) {
    if (query.trim()) status = `Nothing matches “${query.trim()}”.`;
    else if (mode === 'authenticate') status = 'This application’s directory has no users yet.';
    else if (mode === 'logout') status = 'No user has a live session.';
    else if (mode === 'application') status = 'No application profile yet.';
  }
  const starts = groups.map((_, gi) => groups.slice(0, gi).reduce((n, g) => n + g.items.length, 0));

  return (
    <div className="palette__body">
      <div className="palette__search">
        <svg
          className="palette__search-icon"
          viewBox="0 0 24 24"
          width="18"
          height="18"
          aria-hidden="true"
          focusable="false"
        >
          <circle cx="11" cy="11" r="6.5" />
          <path d="M16 16l4 4" />
        </svg>
        {picker && (
          <span className="palette__crumb" data-testid="palette-step">
            {picker.crumb}
          </span>
        )}
        <input
          className="palette__input"
          role="combobox"
          aria-label={picker?.label ?? 'Search commands'}
          aria-expanded={flat.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={activeIndex >= 0 ? optionId(activeIndex) : undefined}
          placeholder={picker?.placeholder ?? 'Type a command or search…'}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
            setError(null);
          }}
          onKeyDown={onKeyDown}
          autoFocus
          autoComplete="off"
          spellCheck={false}
          maxLength={256}
        />
      </div>
      <div className="palette__results">
        {flat.length > 0 && (
          <div
            id={listId}
            role="listbox"
            className="palette__list"
            aria-label={picker?.label.replace(/^Search /, '') ?? 'Commands'}
          >
            {groups.map((g, gi) => {
              const start = starts[gi]!;
              const headingId = `${id}-group-${String(start)}`;
              return (
                <div key={g.label} role="group" aria-labelledby={headingId} className="palette__group">
                  <div id={headingId} role="presentation" className="palette__heading">
                    {g.label}
                  </div>
                  {g.items.map((item, k) => {
                    const i = start + k;
                    return (
                      <div
                        key={item.key}
                        id={optionId(i)}
                        role="option"
                        aria-selected={i === activeIndex}
                        className={i === activeIndex ? 'palette__item palette__item--active' : 'palette__item'}
                        data-testid="palette-option"
                        onMouseMove={() => i !== activeIndex && setActive(i)}
                        onMouseDown={(e) => e.preventDefault()}
                        onClick={() => void run(item)}
                      >
                        <IconGlyph icon={item.icon} />
                        <span className="palette__label">
                          {item.label}
                          {item.detail && <span className="palette__detail">{item.detail}</span>}
                        </span>
                        {item.hint && <span className="palette__hint">{item.hint}</span>}
                      </div>
                    );
                  })}
                </div>
              );
            })}
          </div>
        )}
        <div className="palette__status" role="status" aria-live="polite" data-testid="palette-status">
          {status}
        </div>
        {error && (
          <div className="palette__error" role="alert" data-testid="palette-error">
            {error}
          </div>
        )}
      </div>
      <footer className="palette__footer" aria-hidden="true">
        <span>
          <kbd>↑</kbd>
          <kbd>↓</kbd> to move
        </span>
        <span>
          <kbd>↵</kbd> to select
        </span>
        <span>
          <kbd>esc</kbd> {picker ? 'to go back' : 'to close'}
        </span>
        <span className="palette__footer-grow">
          <kbd>{PALETTE_SHORTCUT}</kbd> anywhere
        </span>
      </footer>
    </div>
  );
}

/** The palette dialog and its global shortcut; mount once in the shell. */
export function CommandPalette() {
  const open = usePalette((s) => s.open);
  const mode = usePalette((s) => s.mode);

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
        // Not over another open dialog (finish or close that one first).
        if (document.querySelector('dialog[open]:not(.palette)')) return;
        e.preventDefault();
        usePalette.getState().toggle();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);

  return (
    <Dialog
      open={open}
      bare
      title="Command palette"
      className="palette"
      testId="command-palette"
      closeOnBackdrop
      onClose={() => {
        // Escape outside the input: one step back, then close.
        const s = usePalette.getState();
        if (s.mode !== 'root') s.setMode('root');
        else s.hide();
      }}
    >
      <PaletteBody key={mode} mode={mode} />
    </Dialog>
  );
}

/** The header's entry point: shows the shortcut, opens the palette. */
export function CommandPaletteButton() {
  const show = usePalette((s) => s.show);
  return (
    <button
      type="button"
      className="palette-trigger"
      onClick={() => show()}
      aria-keyshortcuts="Control+K Meta+K"
      data-testid="palette-trigger"
    >
      <svg viewBox="0 0 24 24" width="15" height="15" aria-hidden="true" focusable="false">
        <circle cx="11" cy="11" r="6.5" />
        <path d="M16 16l4 4" />
      </svg>
      <span className="palette-trigger__text">Search or run a command…</span>
      <kbd className="palette-trigger__kbd">{PALETTE_SHORTCUT}</kbd>
    </button>
  );
}
