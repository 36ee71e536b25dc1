/**
 * The directory's writes to IAMPASS, intent first (store/intents.ts): every
 * batch records what it is about to change in one committed transaction,
 * calls, then records the outcome in one transaction. A lost answer leaves
 * `unknown` intents; recovery (`reconcileIntents`) settles whatever a
 * crash, a fault or a cancel left.
 */
import { toErrorInfo, type ErrorInfo } from '../../shared/errors.ts';
import type { JobRow } from '../../shared/ipc/jobs.ts';
import type { Store } from '../store/db.ts';
import { chunk, mapBounded } from '../../node/bounded.ts';
import { setDeviceStates } from '../store/directory.ts';
import {
  claimAdds,
  listIntents,
  markUnknown,
  recordIntents,
  reassignAdd,
  removeIntents,
  settleAdds,
  settleDeletes,
  takeOverIntents,
  type AddClaimInput,
  type Intent,
} from '../store/intents.ts';
import type { Profile } from '../store/profiles.ts';
import type { AppDirectory, ClaimOutcome } from '../store/app-db/index.ts';
import type { JobContext } from './jobs.ts';
import type { TeamIntent } from './team.ts';
import { mayHaveTakenEffect, PROCESS_OWNER } from './owner.ts';
import type { UsersClient } from './users.ts';

/** What the writes need of the users service. */
export interface Writer {
  store: Store;
  now(): number;
  /** Announces directory changes (users.changed). */
  changed(profileId: string, upserted: readonly string[], removed: readonly string[]): void;
  /** Whether an intent held by someone else may be taken over (its owner is gone). */
  canTakeOver(intent: Intent): boolean;
  forgetStatusError(profileId: string, userId: string): void;
  /** The profile's application directory when its users live in the application's database, else null. */
  source(profile: Pick<Profile, 'id'>): Promise<AppDirectory> | null;
  /** Tells other consoles on that database which users this one changed. */
  announce(profile: Pick<Profile, 'id'>, userIds: readonly string[]): void;
  /** Whether the profile is in team mode (team.ts). */
  inTeam(profile: Profile): boolean;
  /**
   * Team mode (team.ts): records `fresh` intents in the shared ledger before
   * anything is sent and answers which of them and of `held` this console
   * may send; null when the profile is not in team mode.
   */
  share(profile: Profile, fresh: readonly TeamIntent[], held: readonly number[]): Promise<Set<number>> | null;
  /** Team mode: a batch settled (its ledger rows go, the audit is shared); never rejects. */
  settled(profile: Profile): void;
  /** Team mode: takes over silent consoles' intents for recovery. */
  adopt(profile: Profile): Promise<number>;
}

/** Intents the shared ledger does not give this console: never sent, or another admin's console settles them. */
const TAKEN_OVER = "Not sent from this console: another admin's console holds this change (team mode) and settles it.";

/** A database failure that may have committed (the answer was lost) rather than one that surely did not. */
function mayHaveCommitted(info: ErrorInfo): boolean {
  if (info.details?.['committed'] === 'no') return false;
  return info.code === 'network' || info.code === 'timeout' || info.code === 'internal';
}

/** A row whose call was sent and whose answer was lost: recorded as an intent, checked by recovery. */
export function unknownRow(row: number, userId: string, error: ErrorInfo): JobRow {
  return {
    row,
    userId,
    result: 'unknown',
    code: 'uncertain',
    reason: `The answer was lost (${error.message.replace(/\.$/, '')}); IAMPASS may have made the change. It is recorded and will be checked by recovery ("Check interrupted changes" or iampass-admin users reconcile); do not retry by hand.`,
  };
}

export function failedRow(row: number, userId: string, error: ErrorInfo): JobRow {
  if (error.code === 'cancelled') return { row, userId, result: 'cancelled' };
  return { row, userId, result: 'failed', code: error.code, reason: error.message };
}

/**
 * One add batch, intent first: the users are claimed (their IAMPASS IDs
 * recorded, an earlier recorded ID reused) in one committed transaction,
 * then add_users is called, then the confirmed users enter the directory
 * and their intents go in one transaction. A lost answer leaves the intents
 * marked `unknown` for recovery; a definite refusal removes them.
 */
export async function addBatch(
  w: Writer,
  profile: Profile,
  client: UsersClient,
  batch: readonly AddClaimInput[],
  rows: JobRow[],
  jobId: string,
  signal: AbortSignal,
): Promise<void> {
  const now = w.now();
  const claims = claimAdds(w.store, profile.id, batch, {
    owner: PROCESS_OWNER,
    jobId,
    now,
    ownIds: profile.sendOwnIds,
    canTakeOver: (intent) => w.canTakeOver(intent),
  });
  for (const e of claims.existing) rows[e.row - 1] = { row: e.row, userId: e.userId, result: 'existing' };
  for (const b of claims.busy) {
    rows[b.row - 1] = {
      row: b.row,
      userId: b.userId,
      result: 'existing',
      reason: 'Being added by another job (this window, another window or the CLI).',
    };
  }
  let claimed = claims.claimed;
  if (claimed.length === 0) return;
  if (signal.aborted) {
    // Not sent: give back the claims this job made; one reused from an earlier run stays (its add may have reached IAMPASS).
    removeIntents(
      w.store,
      claimed.filter((c) => !c.reused).map((c) => c.intentId),
    );
    for (const c of claimed) rows[c.row - 1] = { row: c.row, userId: c.userId, result: 'cancelled' };
    return;
  }
  const team = w.share(
    profile,
    claimed
      .filter((c) => !c.reused)
      .map((c) => ({
        localId: c.intentId,
        kind: 'add',
        userId: c.userId,
        iampassId: c.iampassId,
        displayName: c.displayName,
        createdAt: now,
      })),
    claimed.filter((c) => c.reused).map((c) => c.intentId),
  );
  if (team) {
    // Team mode: the shared ledger records the adds before the application's table or IAMPASS sees them.
    let held: Set<number>;
    try {
      held = await team;
    } catch (error) {
      const info = toErrorInfo(error);
      removeIntents(
        w.store,
        claimed.filter((c) => !c.reused).map((c) => c.intentId),
      );
      for (const c of claimed) rows[c.row - 1] = failedRow(c.row, c.userId, info);
      return;
    }
    const lost = claimed.filter((c) => !held.has(c.intentId));
    removeIntents(
      w.store,
      lost.map((c) => c.intentId),
    );
    for (const c of lost) rows[c.row - 1] = { row: c.row, userId: c.userId, result: 'existing', reason: TAKEN_OVER };
    claimed = claimed.filter((c) => held.has(c.intentId));
    if (claimed.length === 0) return;
  }
  /** Intents whose ID this batch wrote into the application's table (a refusal clears it again). */
  const wrote = new Set<number>();
  const app = w.source(profile);
  if (app) {
    // The application's table first: its row claim decides the user's one IAMPASS ID.
    let outcomes: ClaimOutcome[];
    try {
      outcomes = await (await app).claim(claimed.map((c) => ({ userId: c.userId, iampassId: c.iampassId })));
    } catch (error) {
      const info = toErrorInfo(error);
      if (mayHaveCommitted(info)) {
        markUnknown(
          w.store,
          claimed.map((c) => c.intentId),
          w.now(),
        );
        for (const c of claimed) rows[c.row - 1] = unknownRow(c.row, c.userId, info);
      } else {
        removeIntents(
          w.store,
          claimed.filter((c) => !c.reused).map((c) => c.intentId),
        );
        for (const c of claimed) rows[c.row - 1] = failedRow(c.row, c.userId, info);
      }
      return;
    }
    const missing: number[] = [];
    claimed = claimed.flatMap((c, i) => {
      const o = outcomes[i]!;
      if (o.state === 'missing') {
        missing.push(c.intentId);
        rows[c.row - 1] = {
          row: c.row,
          userId: c.userId,
          result: 'missing',
          reason: "Not in the application's users table (the console adds only the application's users).",
        };
        return [];
      }
      if (o.state === 'had' && o.iampassId !== c.iampassId) {
        reassignAdd(w.store, c.intentId, o.iampassId, w.now());
        return [{ ...c, iampassId: o.iampassId }];
      }
      if (!c.reused) wrote.add(c.intentId);
      return [c];
    });
    removeIntents(w.store, missing);
    if (claimed.length === 0) return;
  }
  let result: Awaited<ReturnType<UsersClient['addUsers']>>;
  try {
    result = await client.addUsers(
      claimed.map((c) => c.iampassId),
      { signal },
    );
  } catch (error) {
    result = {
      created: [],
      existing: [],
      failed: [{ users: claimed.map((c) => c.iampassId), error: toErrorInfo(error) }],
    };
  }
  const created = new Set(result.created);
  const existing = new Set(result.existing);
  const failures = new Map<string, ErrorInfo>();
  for (const f of result.failed) for (const u of f.users) failures.set(u, f.error);
  const confirmed = claimed.filter((c) => created.has(c.iampassId) || existing.has(c.iampassId));
  const unknown: number[] = [];
  const dropped: number[] = [];
  for (const c of claimed) {
    if (created.has(c.iampassId)) rows[c.row - 1] = { row: c.row, userId: c.userId, result: 'created' };
    else if (existing.has(c.iampassId)) rows[c.row - 1] = { row: c.row, userId: c.userId, result: 'existing' };
    else {
      const info = failures.get(c.iampassId) ?? {
        code: 'protocol',
        message: 'IAMPASS did not confirm this user.',
        retryable: true,
      };
      if (mayHaveTakenEffect(info) || c.reused) {
        unknown.push(c.intentId);
        rows[c.row - 1] = unknownRow(c.row, c.userId, info);
      } else {
        dropped.push(c.intentId);
        rows[c.row - 1] = failedRow(c.row, c.userId, info);
      }
    }
  }
  if (app) {
    // IAMPASS refused these users: the IDs this batch wrote go again. If that fails, their intents stay
    // (unknown) and recovery clears them: the application's table never keeps an ID IAMPASS refused.
    const refused = claimed.filter((c) => dropped.includes(c.intentId) && wrote.has(c.intentId));
    try {
      await (await app).release(refused.map((c) => ({ userId: c.userId, iampassId: c.iampassId })));
    } catch (error) {
      const info = toErrorInfo(error);
      for (const c of refused) {
        dropped.splice(dropped.indexOf(c.intentId), 1);
        unknown.push(c.intentId);
        rows[c.row - 1] = {
          row: c.row,
          userId: c.userId,
          result: 'unknown',
          code: 'uncertain',
          reason: `IAMPASS refused it, and its ID could not be cleared from the application's table (${info.message.replace(/\.$/, '')}); recovery will clear it.`,
        };
      }
    }
  }
  settleAdds(w.store, profile.id, confirmed, dropped, w.now());
  markUnknown(w.store, unknown, w.now());
  w.settled(profile);
  w.changed(
    profile.id,
    confirmed.map((c) => c.userId),
    [],
  );
  if (app)
    w.announce(
      profile,
      confirmed.map((c) => c.userId),
    );
}

/** One delete batch, intent first (delete_users is safe to repeat: recovery sends it again). */
export async function deleteBatch(
  w: Writer,
  profile: Profile,
  client: UsersClient,
  batch: readonly { row: number; userId: string; iampassId: string }[],
  rows: JobRow[],
  jobId: string,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) {
    for (const b of batch) rows[b.row - 1] = { row: b.row, userId: b.userId, result: 'cancelled' };
    return;
  }
  /** Delete intents left by an earlier, unsettled delete of these users: reused, and kept whatever happens here. */
  const earlier = w.inTeam(profile) ? new Set(listIntents(w.store, profile.id, 'delete').map((i) => i.id)) : null;
  const ids = recordIntents(w.store, profile.id, 'delete', batch, { owner: PROCESS_OWNER, jobId, now: w.now() });
  const team = w.share(
    profile,
    batch.map((b, i) => ({
      localId: ids[i]!,
      kind: 'delete',
      userId: b.userId,
      iampassId: b.iampassId,
      displayName: '',
      createdAt: w.now(),
    })),
    [],
  );
  if (team) {
    // Team mode: nothing is sent before the shared ledger holds the deletes. Not sent, the new intents go.
    try {
      await team;
    } catch (error) {
      const info = toErrorInfo(error);
      removeIntents(
        w.store,
        ids.filter((id) => earlier?.has(id) !== true),
      );
      for (const b of batch) rows[b.row - 1] = failedRow(b.row, b.userId, info);
      return;
    }
  }
  let result: Awaited<ReturnType<UsersClient['deleteUsers']>>;
  try {
    result = await client.deleteUsers(
      batch.map((b) => b.iampassId),
      { signal },
    );
  } catch (error) {
    result = { deleted: [], failed: [{ users: batch.map((b) => b.iampassId), error: toErrorInfo(error) }] };
  }
  const deleted = new Set(result.deleted);
  const failures = new Map<string, ErrorInfo>();
  for (const f of result.failed) for (const u of f.users) failures.set(u, f.error);
  const gone: { intentId: number; userId: string }[] = [];
  const unknown: number[] = [];
  const dropped: number[] = [];
  batch.forEach((b, i) => {
    const intentId = ids[i]!;
    if (deleted.has(b.iampassId)) {
      gone.push({ intentId, userId: b.userId });
      rows[b.row - 1] = { row: b.row, userId: b.userId, result: 'deleted' };
      return;
    }
    const info = failures.get(b.iampassId) ?? {
      code: 'protocol',
      message: 'IAMPASS did not confirm the deletion.',
      retryable: true,
    };
    if (mayHaveTakenEffect(info)) {
      unknown.push(intentId);
      rows[b.row - 1] = unknownRow(b.row, b.userId, info);
    } else {
      dropped.push(intentId);
      rows[b.row - 1] = failedRow(b.row, b.userId, info);
    }
  });
  const app = w.source(profile);
  if (app && gone.length > 0) {
    // Deleted at IAMPASS: now clear the application's IDs; if that fails, recovery sends the delete again and clears them.
    const byUser = new Map(batch.map((b) => [b.userId, b]));
    try {
      await (await app).release(gone.map((g) => ({ userId: g.userId, iampassId: byUser.get(g.userId)!.iampassId })));
    } catch (error) {
      const info = toErrorInfo(error);
      for (const g of gone.splice(0)) {
        unknown.push(g.intentId);
        const b = byUser.get(g.userId)!;
        rows[b.row - 1] = {
          row: b.row,
          userId: b.userId,
          result: 'unknown',
          code: 'uncertain',
          reason: `Deleted at IAMPASS, but the application's table was not updated (${info.message.replace(/\.$/, '')}); recovery will finish it.`,
        };
      }
    }
  }
  settleDeletes(w.store, profile.id, gone, dropped, { keepRows: app !== null, now: w.now() });
  markUnknown(w.store, unknown, w.now());
  w.settled(profile);
  for (const g of gone) w.forgetStatusError(profile.id, g.userId);
  if (app) {
    w.changed(
      profile.id,
      gone.map((g) => g.userId),
      [],
    );
    w.announce(
      profile,
      gone.map((g) => g.userId),
    );
  } else
    w.changed(
      profile.id,
      [],
      gone.map((g) => g.userId),
    );
}

/**
 * Recovery: settles the profile's intents that no live job holds, using only
 * what the API offers. An add is completed with its recorded IAMPASS ID
 * (add_users answers `existing` when the lost call had added it: it was an
 * orphan, now recorded); a delete is sent again (safe to repeat); a lost
 * device is checked with has_registered_mobile_device. An intent whose call
 * fails again stays for the next recovery; an authentication or logout whose
 * answer was lost has nothing left to follow and is closed with its reason.
 */
export async function reconcileIntents(
  w: Writer,
  profile: Profile,
  openClient: () => Promise<UsersClient>,
  ctx: JobContext,
  concurrency: number,
  batchSize: number,
): Promise<JobRow[]> {
  // Team mode: first the intents of consoles gone silent, then only what the shared ledger gives this console.
  await w.adopt(profile).catch(() => 0);
  let intents = listIntents(w.store, profile.id).filter((i) => w.canTakeOver(i));
  /** Rows of adds and deletes recovery leaves alone (team mode), after the others. */
  const aside: Omit<JobRow, 'row'>[] = [];
  const team = w.share(
    profile,
    [],
    intents.filter(isDirectoryChange).map((i) => i.id),
  );
  if (team) {
    let held: Set<number> | null = null;
    try {
      held = await team;
    } catch (error) {
      // The ledger cannot be reached: adds and deletes wait for the next recovery.
      const info = toErrorInfo(error);
      for (const i of intents.filter(isDirectoryChange)) aside.push(stillPending(0, i.userId, info));
    }
    const lost = held ? intents.filter((i) => isDirectoryChange(i) && !held.has(i.id)) : [];
    removeIntents(
      w.store,
      lost.map((i) => i.id),
    );
    for (const i of lost) aside.push({ userId: i.userId, result: 'cancelled', reason: TAKEN_OVER });
    intents = intents.filter((i) => !isDirectoryChange(i) || held?.has(i.id) === true);
  }
  const withAside = (rows: JobRow[]): JobRow[] => [
    ...rows,
    ...aside.map((r, n) => ({ ...r, row: rows.length + n + 1 })),
  ];
  ctx.progress(0, intents.length);
  if (intents.length === 0) return withAside([]);
  takeOverIntents(
    w.store,
    intents.map((i) => i.id),
    { owner: PROCESS_OWNER, jobId: ctx.jobId, now: w.now() },
  );
  const rows = new Array<JobRow>(intents.length);
  const indexed = intents.map((intent, i) => ({ intent, row: i + 1 }));
  const of = (kind: Intent['kind']) => indexed.filter((x) => x.intent.kind === kind);
  let done = 0;
  const step = (n: number) => ctx.progress((done += n), intents.length);
  const client = await openClient();
  try {
    await mapBounded(
      chunk(of('add'), batchSize),
      async (all, signal) => {
        let batch = all;
        const app = w.source(profile);
        if (app) {
          // The application's table first: the user may hold another ID by now (given by another console)
          // or be gone. The recorded ID is then dropped, and deleted at IAMPASS in case the lost call made it.
          let outcomes: ClaimOutcome[];
          try {
            outcomes = await (
              await app
            ).claim(all.map((b) => ({ userId: b.intent.userId, iampassId: b.intent.iampassId })));
          } catch (error) {
            for (const b of all) rows[b.row - 1] = stillPending(b.row, b.intent.userId, toErrorInfo(error));
            step(all.length);
            return;
          }
          const orphans: string[] = [];
          const gone: number[] = [];
          batch = all.flatMap((b, i) => {
            const o = outcomes[i]!;
            if (o.state === 'missing') {
              gone.push(b.intent.id);
              orphans.push(b.intent.iampassId);
              rows[b.row - 1] = {
                row: b.row,
                userId: b.intent.userId,
                result: 'missing',
                reason: "No longer in the application's users table: the interrupted add is dropped.",
              };
              return [];
            }
            if (o.iampassId === b.intent.iampassId) return [b];
            reassignAdd(w.store, b.intent.id, o.iampassId, w.now());
            orphans.push(b.intent.iampassId);
            return [{ ...b, intent: { ...b.intent, iampassId: o.iampassId } }];
          });
          removeIntents(w.store, gone);
          if (orphans.length > 0) await client.deleteUsers(orphans, { signal }).catch(() => undefined);
          if (batch.length === 0) {
            step(all.length);
            return;
          }
        }
        const result = await client
          .addUsers(
            batch.map((b) => b.intent.iampassId),
            { signal },
          )
          .catch((error: unknown) => ({
            created: [],
            existing: [],
            failed: [{ users: batch.map((b) => b.intent.iampassId), error: toErrorInfo(error) }],
          }));
        const created = new Set(result.created);
        const existing = new Set(result.existing);
        const failures = failureMap(result.failed);
        const confirmed = batch.filter((b) => created.has(b.intent.iampassId) || existing.has(b.intent.iampassId));
        if (app) {
          // Refused for sure this time: the ID goes from the application's table and the intent is settled.
          const refused = batch.filter(
            (b) =>
              !confirmed.includes(b) &&
              failures.has(b.intent.iampassId) &&
              !mayHaveTakenEffect(failures.get(b.intent.iampassId)!),
          );
          const cleared = await (
            await app
          )
            .release(refused.map((b) => ({ userId: b.intent.userId, iampassId: b.intent.iampassId })))
            .then(
              () => refused,
              (): typeof refused => [],
            );
          removeIntents(
            w.store,
            cleared.map((b) => b.intent.id),
          );
          for (const b of cleared)
            rows[b.row - 1] = failedRow(b.row, b.intent.userId, failures.get(b.intent.iampassId)!);
          batch = batch.filter((b) => !cleared.includes(b));
        }
        settleAdds(
          w.store,
          profile.id,
          confirmed.map((b) => ({
            intentId: b.intent.id,
            userId: b.intent.userId,
            displayName: b.intent.displayName,
            iampassId: b.intent.iampassId,
          })),
          [],
          w.now(),
        );
        for (const b of batch) {
          const { userId, iampassId } = b.intent;
          if (created.has(iampassId))
            rows[b.row - 1] = { row: b.row, userId, result: 'created', reason: 'The interrupted add is completed.' };
          else if (existing.has(iampassId))
            rows[b.row - 1] = {
              row: b.row,
              userId,
              result: 'existing',
              reason: 'The interrupted add had reached IAMPASS; the user is now in the directory.',
            };
          else rows[b.row - 1] = stillPending(b.row, userId, failures.get(iampassId));
        }
        w.changed(
          profile.id,
          confirmed.map((b) => b.intent.userId),
          [],
        );
        if (app)
          w.announce(
            profile,
            confirmed.map((b) => b.intent.userId),
          );
        step(all.length);
      },
      { concurrency, signal: ctx.signal },
    );
    await mapBounded(
      chunk(of('delete'), batchSize),
      async (batch, signal) => {
        const result = await client
          .deleteUsers(
            batch.map((b) => b.intent.iampassId),
            { signal },
          )
          .catch((error: unknown) => ({
            deleted: [],
            failed: [{ users: batch.map((b) => b.intent.iampassId), error: toErrorInfo(error) }],
          }));
        const deleted = new Set(result.deleted);
        const failures = failureMap(result.failed);
        let gone = batch.filter((b) => deleted.has(b.intent.iampassId));
        const app = w.source(profile);
        if (app && gone.length > 0) {
          try {
            await (await app).release(gone.map((b) => ({ userId: b.intent.userId, iampassId: b.intent.iampassId })));
          } catch (error) {
            for (const b of gone) failures.set(b.intent.iampassId, toErrorInfo(error));
            gone = [];
          }
        }
        settleDeletes(
          w.store,
          profile.id,
          gone.map((b) => ({ intentId: b.intent.id, userId: b.intent.userId })),
          [],
          { keepRows: app !== null, now: w.now() },
        );
        for (const b of batch) {
          const { userId, iampassId } = b.intent;
          rows[b.row - 1] = gone.includes(b)
            ? { row: b.row, userId, result: 'deleted', reason: 'The interrupted delete is completed.' }
            : stillPending(b.row, userId, failures.get(iampassId));
        }
        const goneIds = gone.map((b) => b.intent.userId);
        if (app) {
          w.changed(profile.id, goneIds, []);
          w.announce(profile, goneIds);
        } else w.changed(profile.id, [], goneIds);
        step(batch.length);
      },
      { concurrency, signal: ctx.signal },
    );
    await mapBounded(
      of('lost_device'),
      async (b, signal) => {
        try {
          const registered = await client.hasRegisteredDevice(b.intent.iampassId, { signal });
          const state = registered ? 'registered' : 'not_registered';
          w.store.transaction(() => {
            setDeviceStates(w.store, profile.id, [{ userId: b.intent.userId, state }], w.now());
            removeIntents(w.store, [b.intent.id]);
          });
          rows[b.row - 1] = {
            row: b.row,
            userId: b.intent.userId,
            result: state,
            reason: 'Checked after an interrupted lost-device call.',
          };
          w.changed(profile.id, [b.intent.userId], []);
        } catch (error) {
          rows[b.row - 1] = stillPending(b.row, b.intent.userId, toErrorInfo(error));
        }
        step(1);
      },
      { concurrency, signal: ctx.signal },
    );
    for (const b of [...of('authenticate'), ...of('logout')]) {
      removeIntents(w.store, [b.intent.id]);
      const what = b.intent.kind === 'authenticate' ? 'An authentication request' : 'A logout';
      rows[b.row - 1] = {
        row: b.row,
        userId: b.intent.userId,
        result: 'failed',
        code: 'uncertain',
        reason: `${what} sent ${new Date(b.intent.createdAt).toISOString()} lost its answer; it has expired or was answered on the phone, and there is no session to follow.`,
      };
      step(1);
    }
  } finally {
    client.close();
  }
  for (const x of indexed) rows[x.row - 1] ??= { row: x.row, userId: x.intent.userId, result: 'cancelled' };
  w.settled(profile);
  return withAside(rows);
}

function isDirectoryChange(intent: Intent): boolean {
  return intent.kind === 'add' || intent.kind === 'delete';
}

function failureMap(failed: readonly { users: string[]; error: ErrorInfo }[]): Map<string, ErrorInfo> {
  const map = new Map<string, ErrorInfo>();
  for (const f of failed) for (const u of f.users) map.set(u, f.error);
  return map;
}

/** An intent recovery could not settle this time: it stays recorded for the next recovery. */
function stillPending(row: number, userId: string, info: ErrorInfo | undefined): JobRow {
  const why = info?.message ?? 'IAMPASS did not confirm it.';
  return {
    row,
    userId,
    result: 'unknown',
    code: info?.code ?? 'uncertain',
    reason: `Still not settled (${why.replace(/\.$/, '')}); it stays recorded and will be checked again.`,
  };
}
