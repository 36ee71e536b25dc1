/**
 * Registration QR for one user (and the lost-device flow). The link itself
 * stays in main: the dialog gets a module matrix under a handle, asks main to
 * copy / save it, and closes the handle when it is done. The code hides after
 * HIDE_AFTER choices (default 2 min, never past main's expiry) and whenever
 * the window loses focus; "Presenter" shows it full screen for a help desk.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { OnboardingView } from '../../../../shared/ipc/users.ts';
import { OpenPhoneButton } from '../applications/OpenPhone.tsx';
import { invoke, on } from '../../bridge.ts';
import { Dialog } from '../../components/index.ts';
import { QrCanvas } from './QrCanvas.tsx';

export const HIDE_AFTER_CHOICES = [30, 60, 120, 300] as const;
export const DEFAULT_HIDE_AFTER = 120;
const HIDE_AFTER_KEY = 'iampass.users.qrHideAfter';

/** The admin's last "Hide after" choice (a UI preference, kept in localStorage). */
function savedHideAfter(): number {
  const v = Number(window.localStorage.getItem(HIDE_AFTER_KEY));
  return (HIDE_AFTER_CHOICES as readonly number[]).includes(v) ? v : DEFAULT_HIDE_AFTER;
}

type Phase =
  | { kind: 'confirm-lost' }
  | { kind: 'loading' }
  | { kind: 'error'; message: string; code: string }
  | { kind: 'shown'; view: OnboardingView; hideAt: number }
  | { kind: 'hidden'; view: OnboardingView; why: 'blur' | 'timeout' | 'expired' };

const mmss = (ms: number) => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

export function QrDialog(props: {
  userId: string;
  displayName: string;
  mode: 'show' | 'lost';
  onClose: () => void;
  onLostDevice?: () => void;
}) {
  const { userId, mode } = props;
  const [phase, setPhase] = useState<Phase>(mode === 'lost' ? { kind: 'confirm-lost' } : { kind: 'loading' });
  const [hideAfter, setHideAfter] = useState<number>(savedHideAfter);
  const [registered, setRegistered] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  const [message, setMessage] = useState<string | null>(null);
  const [presenting, setPresenting] = useState(false);
  const presenterRef = useRef<HTMLDivElement>(null);
  const handleRef = useRef<string | null>(null);
  const hideAfterRef = useRef<number>(hideAfter);

  const closeHandle = useCallback(() => {
    const h = handleRef.current;
    handleRef.current = null;
    if (h) void invoke('onboarding.close', { handle: h });
  }, []);

  const present = useCallback((view: OnboardingView) => {
    handleRef.current = view.handle;
    setRegistered(false);
    setPhase({ kind: 'shown', view, hideAt: Math.min(view.expiresAt, Date.now() + hideAfterRef.current * 1000) });
  }, []);

  const request = useCallback(
    async (lost: boolean) => {
      const r = lost ? await invoke('users.lostDevice', { userId }) : await invoke('onboarding.show', { userId });
      if (!r.ok) setPhase({ kind: 'error', message: r.message, code: r.code });
      else present(r.value);
    },
    [userId, present],
  );
  const fetchCode = (lost: boolean) => {
    closeHandle();
    setPhase({ kind: 'loading' });
    setMessage(null);
    void request(lost);
  };

  useEffect(() => {
    if (mode !== 'show') return closeHandle;
    let live = true;
    void invoke('onboarding.show', { userId }).then((r) => {
      if (!live) {
        if (r.ok) void invoke('onboarding.close', { handle: r.value.handle });
      } else if (!r.ok) setPhase({ kind: 'error', message: r.message, code: r.code });
      else present(r.value);
    });
    return () => {
      live = false;
      closeHandle();
    };
  }, [mode, userId, present, closeHandle]);

  // Registration / expiry from main.
  useEffect(() => {
    const off1 = on('onboarding.registered', (e) => {
      if (e.handle === handleRef.current) {
        handleRef.current = null;
        setRegistered(true);
      }
    });
    const off2 = on('onboarding.expired', (e) => {
      if (e.handle !== handleRef.current) return;
      handleRef.current = null;
      setPhase((p) => (p.kind === 'shown' ? { kind: 'hidden', view: p.view, why: 'expired' } : p));
    });
    return () => {
      off1();
      off2();
    };
  }, []);

  // Countdown.
  const shown = phase.kind === 'shown' && !registered;
  useEffect(() => {
    if (phase.kind !== 'shown' || registered) return;
    const t = setInterval(() => {
      const n = Date.now();
      if (n < phase.hideAt) setNow(n);
      else {
        closeHandle();
        setPhase({ kind: 'hidden', view: phase.view, why: 'timeout' });
      }
    }, 250);
    return () => clearInterval(t);
  }, [phase, registered, closeHandle]);

  // Hide when the window loses focus (another app, screen share, walking away).
  useEffect(() => {
    if (!shown) return;
    const hide = () => setPhase((p) => (p.kind === 'shown' ? { kind: 'hidden', view: p.view, why: 'blur' } : p));
    const vis = () => {
      if (document.visibilityState === 'hidden') hide();
    };
    window.addEventListener('blur', hide);
    document.addEventListener('visibilitychange', vis);
    return () => {
      window.removeEventListener('blur', hide);
      document.removeEventListener('visibilitychange', vis);
    };
  }, [shown]);

  useEffect(() => {
    const fs = () =>
      setPresenting(document.fullscreenElement !== null && document.fullscreenElement === presenterRef.current);
    document.addEventListener('fullscreenchange', fs);
    return () => document.removeEventListener('fullscreenchange', fs);
  }, []);

  const view = phase.kind === 'shown' || phase.kind === 'hidden' ? phase.view : null;
  // The person (directory display name, else the user ID) heads the code; the name the phone shows is under it.
  const displayName = props.displayName;
  const phoneName = view?.displayName ?? null;
  const remaining = phase.kind === 'shown' ? phase.hideAt - now : 0;

  async function copy() {
    if (!handleRef.current) return;
    const r = await invoke('onboarding.copyLink', { handle: handleRef.current });
    setMessage(r.ok ? 'Link copied to the clipboard.' : r.message);
  }
  async function save(format: 'png' | 'svg') {
    if (!handleRef.current) return;
    const r = await invoke('onboarding.export', { handle: handleRef.current, format });
    if (!r.ok) setMessage(r.message);
    else if (r.value.saved) setMessage(`Saved as ${format.toUpperCase()}.`);
  }
  function presenter() {
    const el = presenterRef.current;
    if (el && !document.fullscreenElement)
      void el.requestFullscreen().catch(() => setMessage('Full screen is not available here.'));
  }
  /** Escape: in presenter mode it only leaves full screen; otherwise it closes the dialog. */
  function cancel() {
    if (document.fullscreenElement) void document.exitFullscreen();
    else close();
  }
  function close() {
    if (document.fullscreenElement) void document.exitFullscreen();
    closeHandle();
    props.onClose();
  }

  const title = mode === 'lost' ? `Lost device — ${userId}` : `Registration code — ${userId}`;
  return (
    <Dialog title={title} onClose={cancel} testId="qr-dialog">
      {phase.kind === 'confirm-lost' ? (
        <div className="ux-stack">
          <p>
            The phone registered for <strong>{userId}</strong> stops working for this application at once. The user then
            registers a new phone with a fresh code.
          </p>
          <div className="ux-actions">
            <button type="button" className="btn" onClick={close}>
              Keep the device
            </button>
            <button type="button" className="btn btn--danger" onClick={() => fetchCode(true)}>
              Report lost and show a new code
            </button>
          </div>
        </div>
      ) : null}
      {phase.kind === 'loading' ? (
        <p className="ux-muted" role="status">
          Getting a registration code…
        </p>
      ) : null}
      {phase.kind === 'error' ? (
        <div className="ux-stack">
          <p className="ux-error" role="alert">
            {phase.message}
          </p>
          {phase.code === 'refused' && mode === 'show' ? (
            <p className="ux-muted">
              If {userId} already has a registered phone, report it lost to register a new one.
            </p>
          ) : null}
          <div className="ux-actions">
            {phase.code === 'refused' && mode === 'show' && props.onLostDevice ? (
              <button type="button" className="btn" onClick={props.onLostDevice}>
                Lost device…
              </button>
            ) : null}
            <button type="button" className="btn" onClick={() => fetchCode(mode === 'lost')}>
              Try again
            </button>
          </div>
        </div>
      ) : null}
      {view ? (
        <div className="ux-qrwrap">
          {mode === 'lost' ? (
            <p className="ux-callout" role="status">
              Device reported lost. {userId} is not registered until they scan this new code.
            </p>
          ) : null}
          <div
            ref={presenterRef}
            className={presenting ? 'ux-presenter ux-presenter--on' : 'ux-presenter'}
            data-testid="qr-presenter"
          >
            {presenting ? (
              <button type="button" className="btn ux-presenter__exit" onClick={() => void document.exitFullscreen()}>
                Exit presenter mode
              </button>
            ) : null}
            {registered ? (
              <div className="ux-registered" role="status" data-testid="qr-registered">
                <span className="ux-registered__tick" aria-hidden="true">
                  ✓
                </span>
                Registered
                <span className="ux-muted">{displayName}’s phone is ready.</span>
              </div>
            ) : phase.kind === 'shown' ? (
              <>
                <QrCanvas
                  qr={phase.view.qr}
                  size={presenting ? Math.min(window.innerWidth, window.innerHeight) * 0.7 : 264}
                  label={`Registration QR code for ${displayName}`}
                  testId="qr-canvas"
                />
                <p className="ux-presenter__name" data-testid="qr-name">
                  {displayName}
                </p>
                {phoneName && phoneName !== displayName ? (
                  <p className="ux-presenter__hint">Shown on the phone as {phoneName}</p>
                ) : null}
                <p className="ux-presenter__hint">
                  Scan with the IAMPASS app · hides in <span data-testid="qr-countdown">{mmss(remaining)}</span>
                </p>
              </>
            ) : phase.kind === 'hidden' ? (
              <div className="ux-hidden" data-testid="qr-hidden">
                <p>
                  {phase.why === 'blur'
                    ? 'The code is hidden because the window lost focus.'
                    : phase.why === 'timeout'
                      ? 'The code was hidden after the time limit.'
                      : 'The registration code expired.'}
                </p>
                {phase.why === 'blur' ? (
                  <button
                    type="button"
                    className="btn btn--primary"
                    onClick={() =>
                      setPhase({
                        kind: 'shown',
                        view: phase.view,
                        hideAt: Math.min(phase.view.expiresAt, Date.now() + hideAfter * 1000),
                      })
                    }
                  >
                    Show the code again
                  </button>
                ) : (
                  <button type="button" className="btn btn--primary" onClick={() => fetchCode(false)}>
                    Get a new code
                  </button>
                )}
              </div>
            ) : null}
          </div>
          {!registered ? (
            <div className="ux-qrtools">
              <div className="ux-actions ux-actions--start">
                <button type="button" className="btn" disabled={phase.kind !== 'shown'} onClick={() => void copy()}>
                  Copy link
                </button>
                <button
                  type="button"
                  className="btn"
                  disabled={phase.kind !== 'shown'}
                  onClick={() => void save('png')}
                >
                  Save PNG
                </button>
                <button
                  type="button"
                  className="btn"
                  disabled={phase.kind !== 'shown'}
                  onClick={() => void save('svg')}
                >
                  Save SVG
                </button>
                <button type="button" className="btn" disabled={phase.kind !== 'shown'} onClick={presenter}>
                  Presenter mode
                </button>
                <OpenPhoneButton
                  target={() => (handleRef.current ? { handle: handleRef.current } : {})}
                  disabled={phase.kind !== 'shown'}
                  onError={setMessage}
                  onOpened={() => setMessage('The virtual phone opened on this code: press Register this phone there.')}
                />
              </div>
              <label className="ux-inline-field">
                Hide after
                <select
                  value={hideAfter}
                  onChange={(e) => {
                    hideAfterRef.current = Number(e.target.value);
                    setHideAfter(hideAfterRef.current);
                    window.localStorage.setItem(HIDE_AFTER_KEY, String(hideAfterRef.current));
                    // The running countdown follows the new choice (never past main's expiry).
                    setPhase((p) =>
                      p.kind === 'shown'
                        ? { ...p, hideAt: Math.min(p.view.expiresAt, Date.now() + hideAfterRef.current * 1000) }
                        : p,
                    );
                  }}
                >
                  {HIDE_AFTER_CHOICES.map((s) => (
                    <option key={s} value={s}>
                      {s < 60 ? `${s} s` : `${s / 60} min`}
                    </option>
                  ))}
                </select>
              </label>
            </div>
          ) : (
            <div className="ux-actions">
              <button type="button" className="btn btn--primary" onClick={close}>
                Done
              </button>
            </div>
          )}
          {message ? (
            <p className="ux-muted" role="status">
              {message}
            </p>
          ) : null}
        </div>
      ) : null}
    </Dialog>
  );
}
