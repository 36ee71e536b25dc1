/** Handlers for src/shared/ipc/directory.ts: always the active profile; a password goes in, never out. */
import type { DirectoryView } from '../../../shared/ipc/directory.ts';
import type { Services } from '../../services/index.ts';
import type { Handler } from '../router.ts';

type Channels =
  'directory.view' | 'directory.tables' | 'directory.check' | 'directory.link' | 'directory.unlink' | 'directory.sync';

export function directoryHandlers(deps: { services: Services }): { [C in Channels]: Handler<C> } {
  const { sources, users, secrets } = deps.services;
  return {
    'directory.view': async (): Promise<DirectoryView> => {
      const profile = users.scope.current();
      const linked = sources.linked(profile.id);
      const hasPassword =
        linked?.source.kind === 'postgres'
          ? await secrets.getCredential(profile.id, 'database').then(
              (p) => p !== null,
              () => null,
            )
          : false;
      return { ...sources.info(profile.id), source: linked?.source ?? null, hasPassword };
    },
    'directory.tables': ({ where, password }) => sources.tables(users.scope.current().id, where, password),
    'directory.check': ({ source, password }) => sources.check(users.scope.current().id, source, password),
    'directory.link': ({ source, password, applyDdl }) =>
      sources.link(users.scope.current(), source, {
        ...(password === undefined ? {} : { password }),
        ...(applyDdl === undefined ? {} : { applyDdl }),
      }),
    'directory.unlink': async () => ({ unlinked: await sources.unlink(users.scope.current()) }),
    'directory.sync': () => ({ jobId: sources.sync(users.scope.current()) }),
  };
}
