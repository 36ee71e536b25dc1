/**
 * "Open virtual phone": the sandbox's phone page in a window of its own
 * (main opens it; see sandbox.openPhone). Shown only while a Sandbox
 * application is active: on a QR dialog's code, for a user's registered
 * phone, or bare.
 */
import { useState } from 'react';
import type { PhoneTarget } from '../../../../shared/ipc/sandbox.ts';
import { invoke } from '../../bridge.ts';
import { useApplications } from './state.ts';

/** True while the active application is a Sandbox one (it has a virtual phone). */
export function useSandboxActive(): boolean {
  return useApplications((s) => s.list.find((a) => a.active)?.flavour === 'Sandbox');
}

/** Opens the phone; the error message when main refused, else null. */
export async function openPhone(target: PhoneTarget = {}): Promise<string | null> {
  const r = await invoke('sandbox.openPhone', target);
  return r.ok ? null : r.message;
}

export function OpenPhoneButton(props: {
  /** What to open; a function is read at the click (e.g. a dialog's current handle). */
  target?: PhoneTarget | (() => PhoneTarget);
  small?: boolean;
  disabled?: boolean;
  /** Where a refusal is said; without it, next to the button. */
  onError?: (message: string) => void;
  onOpened?: () => void;
}) {
  const sandbox = useSandboxActive();
  const [error, setError] = useState<string | null>(null);
  if (!sandbox) return null;
  const click = async () => {
    const target = typeof props.target === 'function' ? props.target() : props.target;
    const message = await openPhone(target);
    if (message !== null && props.onError) props.onError(message);
    else setError(message);
    if (message === null) props.onOpened?.();
  };
  return (
    <>
      <button
        type="button"
        className={props.small ? 'btn btn--sm' : 'btn'}
        disabled={props.disabled}
        data-testid="open-phone"
        onClick={() => void click()}
      >
        Open virtual phone
      </button>
      {error !== null ? (
        <span className="field__error" role="alert">
          {error}
        </span>
      ) : null}
    </>
  );
}
