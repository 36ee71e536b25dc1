// Child for applications.test.ts: adds a profile while no keychain is reachable.
import { AppError } from '../../../src/shared/errors.ts';
import { Keychain } from '../../../src/main/secrets/keychain.ts';
import { openStore } from '../../../src/main/store/db.ts';
import { ApplicationsService } from '../../../src/main/services/applications.ts';

const store = openStore(process.argv[2]!);
const apps = new ApplicationsService({
  store,
  secrets: new Keychain({ service: 'iampass-admin-unreachable-test', timeoutMs: 10_000 }),
});
try {
  await apps.add({
    name: 'Production',
    flavour: 'IAMPASS',
    applicationId: '10FB9102F29A422EB14AB2F2D0F0CC02',
    secret: 'E8D28A79023C39C200661FCCD268A29A0D347301EF56E64D',
  });
  process.stdout.write(JSON.stringify({ code: 'no-error', message: '' }));
} catch (error) {
  process.stdout.write(
    JSON.stringify(
      error instanceof AppError
        ? { code: error.code, message: error.message }
        : { code: 'raw', message: String(error) },
    ),
  );
}
// A profile written while the keychain worked: listing it now says "unknown" (null), not "no secret".
store.db
  .prepare(
    'INSERT INTO profiles (id, name, flavour, base_url, application_id, concurrency, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)',
  )
  .run('listed', 'Listed', 'IAMPASS', 'https://main.iam-api.com', '10FB9102F29A422EB14AB2F2D0F0CC02', 8, 1, 1);
const listed = await apps.list();
process.stdout.write(`\n${JSON.stringify(listed.map((p) => [p.name, p.hasSecret]))}`);
store.close();
