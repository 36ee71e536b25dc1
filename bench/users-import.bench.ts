/**
 * CSV import of 100,000 users (issue 6): a 100,000-row CSV (with a few
 * invalid and duplicate rows, accents and emoji) parsed, validated and
 * imported through the users service's job: batched add_users against the
 * real sandbox (signatures verified, in its own process), server-confirmed
 * rows written to a real SQLite directory, progress events, per-row results.
 *
 * Target: the whole job at most 60 s. Reports rows/s, the job's peak RSS
 * growth and the per-row results' counts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServices } from '../src/main/services/index.ts';
import { previewCsv } from '../src/main/services/csv.ts';
import { countUsers } from '../src/main/store/directory.ts';
import { metric, type Bench } from './harness.ts';
import { memorySecrets, spawnSandbox } from './support.ts';

function makeCsv(rows: number): { text: string; invalid: number } {
  const lines = ['user_id,display_name,department'];
  let invalid = 0;
  for (let i = 0; i < rows; i++) {
    if (i % 10_000 === 1) {
      lines.push(',Nobody,none'); // blank ID
      invalid++;
    } else if (i % 10_000 === 2) {
      lines.push(`user${String(i - 2).padStart(6, '0')}@example.com,Duplicate,dup`);
      invalid++;
    } else if (i % 1000 === 3) {
      lines.push(`"Zoë Ångström 🦄 ${i}","Zoë ${i}",design`);
    } else {
      lines.push(`user${String(i).padStart(6, '0')}@example.com,User ${i},dept${i % 17}`);
    }
  }
  return { text: `${lines.join('\n')}\n`, invalid };
}

const bench: Bench = async ({ quick, log }) => {
  const ROWS = quick ? 10_000 : 100_000;
  const app = {
    id: randomBytes(16).toString('hex').toUpperCase(),
    secret: randomBytes(24).toString('hex').toUpperCase(),
  };
  const sandbox = await spawnSandbox(app);
  const dir = mkdtempSync(join(tmpdir(), 'iampass-bench-users-'));
  const services = openServices({ dataDir: dir, secrets: memorySecrets() });
  try {
    const profile = await services.applications.add({
      name: 'Bench',
      flavour: 'Sandbox',
      baseUrl: sandbox.baseUrl,
      applicationId: app.id,
      secret: app.secret,
    });
    services.applications.setActive(profile.id);
    const csv = makeCsv(ROWS);
    log(`CSV: ${ROWS} rows, ${(csv.text.length / 2 ** 20).toFixed(1)} MiB`);

    let progressEvents = 0;
    let changedEvents = 0;
    services.users.jobs.on((e) => {
      if (e.type === 'progress') progressEvents++;
    });
    services.users.on((e) => {
      if (e.type === 'changed') changedEvents++;
    });
    const rss0 = process.memoryUsage().rss;
    let peakRss = rss0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

    const t0 = performance.now();
    const preview = previewCsv(csv.text);
    const tPreview = performance.now() - t0;
    const t1 = performance.now();
    const jobId = services.users.importCsv(csv.text, preview.mapping, preview.hasHeader);
    const result = await services.users.jobs.wait(jobId);
    const tImport = performance.now() - t1;
    clearInterval(sampler);
    if (!result) throw new Error('the job vanished');
    const created = result.counts.created ?? 0;
    const inDirectory = countUsers(services.store, profile.id);
    log(
      `preview ${tPreview.toFixed(0)} ms; import ${(tImport / 1000).toFixed(2)} s; ${JSON.stringify(result.counts)}; directory ${inDirectory}`,
    );
    if (
      result.outcome !== 'completed' ||
      created !== ROWS - csv.invalid ||
      inDirectory !== created ||
      (result.counts.invalid ?? 0) !== csv.invalid
    ) {
      throw new Error(
        `unexpected import result: ${result.outcome} ${JSON.stringify(result.counts)}, directory ${inDirectory}`,
      );
    }
    const t2 = performance.now();
    const snap = services.users.snapshot();
    const tSnap = performance.now() - t2;
    const snapBytes = JSON.stringify(snap).length;
    return {
      id: 'users-import',
      title: `CSV import of ${ROWS.toLocaleString('en')} users into the sandbox (users service job)`,
      metrics: [
        metric(
          'import job (parse, validate, add_users, directory)',
          Math.round(tImport),
          'ms',
          quick ? undefined : { op: '<=', value: 60_000 },
        ),
        metric('throughput', Math.round((ROWS / tImport) * 1000), 'rows/s'),
        metric('CSV preview (parse + validate all rows)', Math.round(tPreview), 'ms'),
        metric('peak RSS growth during the job', Math.round((peakRss - rss0) / 2 ** 20), 'MiB'),
        metric('users.snapshot after import', Math.round(tSnap), 'ms'),
        metric('users.snapshot size (JSON)', Math.round(snapBytes / 2 ** 10), 'KiB'),
        metric('job.progress events', progressEvents, 'events'),
        metric('users.changed events', changedEvents, 'events'),
      ],
      notes: [
        `${csv.invalid} invalid/duplicate rows reported per row, ${created} created, all in the directory`,
        'sandbox in its own process (signatures verified); batches of 500 users, profile concurrency 16',
        'secrets in memory (the OS keychain is not what is measured)',
      ],
    };
  } finally {
    await services.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
