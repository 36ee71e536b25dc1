/** One line on the Users screen: users invited in the last 30 days, and how many of them registered a phone. */
import { useEffect, useState } from 'react';
import { invoke, on } from '../../bridge.ts';

export function InvitationFunnel() {
  const [funnel, setFunnel] = useState<{ invited: number; registered: number } | null>(null);
  useEffect(() => {
    const load = () =>
      void invoke('invitations.funnel', { days: 30 }).then((r) => {
        if (r.ok) setFunnel(r.value);
      });
    load();
    const offJob = on('job.finished', load);
    const offApp = on('applications.changed', load);
    return () => {
      offJob();
      offApp();
    };
  }, []);
  if (!funnel || funnel.invited === 0) return null;
  return (
    <p className="ux-funnel" data-testid="invitation-funnel">
      Invitations (30 days): {funnel.invited.toLocaleString('en-US')} invited →{' '}
      {funnel.registered.toLocaleString('en-US')} registered
    </p>
  );
}
