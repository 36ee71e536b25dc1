// Runs job-child.ts (a console process doing one users job on a data folder)
// for the tests that kill consoles: SIGKILL `killAfterMs` after the child says
// STARTED (null: let it finish). Answers whether it was killed before it said
// DONE, and the job's counts when it did.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const CHILD = join(import.meta.dirname, 'job-child.ts');

export function runJobChild(
  dataDir: string,
  op: 'add' | 'import' | 'delete' | 'lost' | 'invite',
  arg: string,
  killAfterMs: number | null,
  env: { keychainService: string; batch: number },
): Promise<{ killed: boolean; counts: Record<string, number> | null }> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, [CHILD, dataDir, op, arg], {
      env: { ...process.env, IAMPASS_KEYCHAIN_SERVICE: env.keychainService, BATCH: String(env.batch) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | null = null;
    const guard = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (killAfterMs !== null && timer === null && out.includes('STARTED'))
        timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    });
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    proc.on('error', fail);
    proc.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      const m = /DONE (\{.*\})/.exec(out);
      if (signal !== 'SIGKILL' && code !== 0) fail(new Error(`child exited ${String(code)}: ${err}`));
      else
        done({
          killed: signal === 'SIGKILL' && m === null,
          counts: m ? (JSON.parse(m[1]!) as Record<string, number>) : null,
        });
    });
  });
}
