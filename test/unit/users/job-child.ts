// Child process for never-diverges.test.ts: opens the console's services on a
// data folder (the test keychain service from the environment) and runs one
// users job on the active profile, printing STARTED when the job has begun
// and DONE <json counts> when it ends. The parent kills it at any moment.
import { readFileSync } from 'node:fs';
import { Keychain } from '../../../src/main/secrets/keychain.ts';
import { openServices } from '../../../src/main/services/index.ts';

const [dataDir, op, arg] = process.argv.slice(2);
if (!dataDir || !op || !arg) throw new Error('usage: job-child.ts <dataDir> import|add|delete|lost|invite <file|ids>');
const services = openServices({
  dataDir,
  secrets: new Keychain({ service: process.env.IAMPASS_KEYCHAIN_SERVICE ?? 'iampass-admin-test' }),
  users: { batchSize: Number(process.env.BATCH ?? '25') },
  resumeSessions: false,
});
const ids = (): string[] => readFileSync(arg, 'utf8').split('\n').filter(Boolean);
let jobId: string | null = null;
if (op === 'import')
  jobId = services.users.importCsv(readFileSync(arg, 'utf8'), { userId: 0, displayName: null }, false);
else if (op === 'add') jobId = services.users.add(ids().map((userId) => ({ userId })));
else if (op === 'delete') jobId = services.users.delete(ids(), ids().length);
else if (op === 'invite') jobId = services.invitations.invite(ids(), { channel: 'email' });
else if (op === 'lost') {
  process.stdout.write('STARTED\n');
  for (const userId of ids()) await services.onboarding.lostDevice(userId).catch(() => undefined);
  process.stdout.write('DONE {}\n');
} else throw new Error(`unknown op ${op}`);
if (jobId !== null) {
  process.stdout.write('STARTED\n');
  const finished = await services.users.jobs.wait(jobId);
  process.stdout.write(`DONE ${JSON.stringify(finished?.counts ?? {})}\n`);
}
await services.close();
