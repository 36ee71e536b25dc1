/** The active-profile switcher in the header: always visible, keyboard reachable. */
import { useState } from 'react';
import { useApplications } from './state.ts';

export function ProfileSwitcher() {
  const list = useApplications((s) => s.list);
  const loaded = useApplications((s) => s.loaded);
  const setActive = useApplications((s) => s.setActive);
  const [error, setError] = useState<string | null>(null);
  const active = list.find((a) => a.active);

  return (
    <div className="switcher">
      <label htmlFor="active-profile" className="switcher__label">
        Application
      </label>
      <select
        id="active-profile"
        className="switcher__select"
        data-testid="profile-switcher"
        value={active?.id ?? ''}
        disabled={!loaded || list.length === 0}
        onChange={(e) => {
          void setActive(e.target.value).then((err) => setError(err ? err.message : null));
        }}
      >
        {!active && <option value="">{list.length === 0 ? 'No application' : 'Choose…'}</option>}
        {list.map((a) => (
          <option key={a.id} value={a.id}>
            {/* The flavour only where the name does not already say it ("Sandbox", not "Sandbox · Sandbox"). */}
            {a.name.toLowerCase() === a.flavour.toLowerCase() ? a.name : `${a.name} · ${a.flavour}`}
          </option>
        ))}
      </select>
      {error && (
        <span className="switcher__error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
