import { useEffect } from 'react';
import { on } from './bridge.ts';
import { Cut, EmptyState } from './components/index.ts';
import { ApplicationsScreen } from './screens/applications/ApplicationsScreen.tsx';
import { FirstRun } from './screens/applications/FirstRun.tsx';
import { ProfileSwitcher } from './screens/applications/ProfileSwitcher.tsx';
import { subscribeApplications, useApplications } from './screens/applications/state.ts';
import { CommandPalette, CommandPaletteButton } from './palette/index.ts';
import { AuditScreen } from './screens/audit/AuditScreen.tsx';
import { SessionAlertToasts, SessionsScreen } from './screens/sessions/index.ts';
import { UsersScreen } from './screens/users/index.ts';
import { followHash, SCREENS, useShell, type ScreenId } from './store.ts';

/** The screens that exist (one line each); the others show the placeholder. */
const SCREEN_VIEWS: Partial<Record<ScreenId, () => React.JSX.Element>> = {
  applications: ApplicationsScreen,
  audit: AuditScreen,
  sessions: SessionsScreen,
  users: UsersScreen,
};

function StatusBar() {
  const info = useShell((s) => s.info);
  if (info.status === 'loading')
    return (
      <footer className="status" aria-live="polite">
        Connecting to the console…
      </footer>
    );
  if (info.status === 'error') {
    return (
      <footer className="status status--error" role="alert" data-testid="status-error">
        {info.error.message} <span className="status__code">({info.error.code})</span>
      </footer>
    );
  }
  const { version, platform, dataDir } = info.info;
  return (
    <footer className="status" data-testid="status">
      <span className="status__dot" aria-hidden="true" />
      <span title="This window is connected to the console's main process (not a statement about IAMPASS).">
        Console ready
      </span>
      <span className="status__item">
        Version <strong data-testid="app-version">{version}</strong>
      </span>
      <span className="status__item">
        Platform <strong data-testid="app-platform">{platform}</strong>
      </span>
      <span className="status__item status__item--grow">
        Data folder{' '}
        <code data-testid="app-datadir" title={dataDir}>
          {dataDir}
        </code>
      </span>
    </footer>
  );
}

export function App() {
  const screen = useShell((s) => s.screen);
  const setScreen = useShell((s) => s.setScreen);
  const loadInfo = useShell((s) => s.loadInfo);

  useEffect(() => {
    void loadInfo();
    return on('app.ready', () => void loadInfo());
  }, [loadInfo]);

  useEffect(() => subscribeApplications(), []);
  useEffect(() => followHash(), []);

  const current = SCREENS.find((s) => s.id === screen) ?? SCREENS[0];
  const View = SCREEN_VIEWS[current.id];

  return (
    <div className="shell">
      <header className="header">
        <div className="brand">
          <span className="brand__mark" aria-hidden="true">
            IP
          </span>
          <span className="brand__name">IAMPASS Admin</span>
        </div>
        <CommandPaletteButton />
        <ProfileSwitcher />
      </header>
      <nav className="nav" aria-label="Main">
        <ul>
          {SCREENS.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                className={s.id === screen ? 'nav__item nav__item--active' : 'nav__item'}
                aria-current={s.id === screen ? 'page' : undefined}
                onClick={() => setScreen(s.id)}
              >
                {s.label}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" aria-labelledby="screen-title">
        <div className="content__head">
          <h1 id="screen-title">{current.label}</h1>
          <Cut className="content__blurb" text={current.blurb} />
        </div>
        <FirstRun
          onAddApplication={() => {
            setScreen('applications');
            useApplications.getState().requestAdd();
          }}
        />
        {View ? (
          <View />
        ) : (
          <EmptyState title="Not available yet">This screen arrives with a later release of the console.</EmptyState>
        )}
      </main>
      <StatusBar />
      {current.id !== 'sessions' && <SessionAlertToasts onView={() => setScreen('sessions')} />}
      <CommandPalette />
    </div>
  );
}
