// Child process for crash.test.ts: imports 100,000 users in batches (one
// transaction each) and prints "ACK <batch> <rows>" after each COMMIT.
import { openStore } from '../../../src/main/store/db.ts';
import { importUsers, type NewDirectoryUser } from '../../../src/main/store/directory.ts';
import { insertProfile } from '../../../src/main/store/profiles.ts';
import { testProfile } from './fixture.ts';

const [path, batchArg] = process.argv.slice(2);
if (!path) throw new Error('usage: import-child.ts <db> [batchSize]');
const batchSize = Number(batchArg ?? '500');
const store = openStore(path);
insertProfile(store, testProfile('crash', { name: 'Crash' }));
const users: NewDirectoryUser[] = [];
for (let i = 0; i < 100_000; i++)
  users.push({ userId: `u${String(i).padStart(6, '0')}`, displayName: `User ${String(i)}`, notes: 'x'.repeat(64) });
process.stdout.write('READY\n');
importUsers(store, 'crash', users, {
  batchSize,
  onBatch: ({ batch, committedRows }) => {
    // Synchronous write: the line is out before the next batch starts.
    process.stdout.write(`ACK ${String(batch)} ${String(committedRows)}\n`);
  },
});
process.stdout.write('DONE\n');
store.close();
