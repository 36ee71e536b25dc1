/** Where a linked profile's users come from (the application's database) and, for a read-only login, why writes are off. */
import type { DirectoryInfo } from '../../../../shared/directory-source.ts';
import { ago, Cut, Notice } from '../../components/index.ts';

export function SourceBanner({ directory, now }: { directory: DirectoryInfo; now: number }) {
  if (directory.kind === 'embedded') return null;
  return (
    <>
      <div className="ux-source" data-testid="users-source">
        <span>
          Users of the application&apos;s {directory.kind === 'postgres' ? 'PostgreSQL database' : 'SQLite file'}
        </span>
        <Cut className="ux-source__where" text={directory.label ?? ''} />
        {directory.syncedAt !== null ? <span>read {ago(directory.syncedAt, now)}</span> : null}
      </div>
      {directory.readOnly ? (
        <Notice tone="warn" testId="users-read-only">
          Read-only: this database login may not write IAMPASS IDs, so users cannot be added or deleted here. Ask for
          UPDATE on the IAMPASS ID column (or INSERT and DELETE on the token table), then sync.
        </Notice>
      ) : null}
    </>
  );
}
