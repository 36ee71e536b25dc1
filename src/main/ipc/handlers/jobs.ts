/** Handlers for src/shared/ipc/jobs.ts, and the forwarding of job events to the bus. */
import type { Services } from '../../services/index.ts';
import type { EventBus, Handler } from '../router.ts';

export function jobsHandlers(deps: { services: Services; bus: EventBus }): {
  'jobs.cancel': Handler<'jobs.cancel'>;
  'jobs.list': Handler<'jobs.list'>;
} {
  const jobs = deps.services.users.jobs;
  jobs.on((event) => {
    if (event.type === 'progress') deps.bus.emit('job.progress', event.payload);
    else deps.bus.emit('job.finished', event.payload);
  });
  return {
    'jobs.cancel': ({ jobId }) => ({ cancelled: jobs.cancel(jobId) }),
    'jobs.list': () => jobs.list(),
  };
}
