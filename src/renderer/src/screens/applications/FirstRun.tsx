/**
 * The welcome banner: one line saying what is active, with the virtual phone,
 * "How it works" (what the sandbox is, how to add a real application) and
 * Add application. Shown until dismissed.
 */
import { useId, useState } from 'react';
import { Notice } from '../../components/index.ts';
import { OpenPhoneButton } from './OpenPhone.tsx';
import { useApplications } from './state.ts';

export function FirstRun({ onAddApplication }: { onAddApplication: () => void }) {
  const firstRun = useApplications((s) => s.firstRun);
  const dismiss = useApplications((s) => s.dismissFirstRun);
  const active = useApplications((s) => s.list.find((a) => a.active));
  // Until the list has loaded, nothing is known to be active (or not).
  const loaded = useApplications((s) => s.loaded);
  const [more, setMore] = useState(false);
  const moreId = useId();
  if (!firstRun || firstRun.dismissed) return null;
  return (
    <section className="first-run card" aria-labelledby="first-run-title" data-testid="first-run">
      <div className="first-run__bar">
        <span className="first-run__icon" aria-hidden="true">
          ◆
        </span>
        <p className="first-run__lead">
          <strong id="first-run-title">Welcome to IAMPASS Admin.</strong>{' '}
          <span data-testid="first-run-lead">
            {!loaded
              ? 'The console comes with a built-in sandbox to try everything on.'
              : active === undefined
                ? 'No application is active: choose one in the header, or try everything on the built-in sandbox.'
                : active.flavour === 'Sandbox'
                  ? `You can use the console right away: "${active.name}" is the built-in sandbox.`
                  : `"${active.name}" is active; the built-in sandbox is there to try things without a vendor account.`}
          </span>
        </p>
        <OpenPhoneButton small />
        <button
          type="button"
          className="btn btn--sm btn--ghost"
          aria-expanded={more}
          aria-controls={moreId}
          onClick={() => setMore((m) => !m)}
        >
          {more ? 'Less' : 'How it works'}
        </button>
        <button type="button" className="btn btn--sm btn--primary" onClick={onAddApplication}>
          Add application
        </button>
        <button type="button" className="btn btn--sm" onClick={() => void dismiss()}>
          Got it
        </button>
      </div>
      <div className="first-run__cols" id={moreId} hidden={!more}>
        <div>
          <h3>What the sandbox is</h3>
          <ul>
            <li>
              An IAMPASS-compatible server built into the console, with a virtual phone that approves or denies
              sign-ins.
            </li>
            <li>
              It runs on this computer only
              {firstRun.sandbox ? (
                <>
                  {' '}
                  at <code data-testid="sandbox-url">{firstRun.sandbox.baseUrl}</code>
                </>
              ) : null}
              : nothing leaves the machine.
            </li>
            <li>Its credentials were generated for you and stored in the OS keychain, like any other application's.</li>
          </ul>
        </div>
        <div>
          <h3>Add a real application</h3>
          <ol>
            <li>
              In the IAMPASS (or Activeconnect) developer portal, open your application and copy its Application ID and
              secret.
            </li>
            <li>
              Choose Add application, pick the service and paste them. The secret goes to the keychain and is never
              shown again.
            </li>
            <li>Use Test connection, then make it the active application in the header.</li>
          </ol>
        </div>
      </div>
      {firstRun.phase === 'failed' && firstRun.error && (
        <Notice tone="error" title="The sandbox did not start">
          {firstRun.error.message} It is tried again at the next launch.
        </Notice>
      )}
    </section>
  );
}
