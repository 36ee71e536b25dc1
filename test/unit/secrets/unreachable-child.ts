// Child for keychain.test.ts: every keychain operation against an unreachable
// Secret Service must fail with a typed `keychain` error (no hang, no fallback).
import { AppError } from '../../../src/shared/errors.ts';
import { Keychain } from '../../../src/main/secrets/keychain.ts';

const keychain = new Keychain({ service: 'iampass-admin-unreachable-test', timeoutMs: 10_000 });
const started = Date.now();
const results: { code: string; message: string }[] = [];
for (const op of [
  () => keychain.set('p', 'E8D28A79023C39C200661FCCD268A29A0D347301EF56E64D'),
  () => keychain.get('p'),
  () => keychain.has('p'),
  () => keychain.delete('p'),
  () => keychain.dataKey(),
]) {
  try {
    await op();
    results.push({ code: 'no-error', message: '' });
  } catch (error) {
    results.push(
      error instanceof AppError
        ? { code: error.code, message: error.message }
        : { code: 'raw', message: String(error) },
    );
  }
}
const codes = new Set(results.map((r) => r.code));
process.stdout.write(
  JSON.stringify({
    code: codes.size === 1 ? results[0]!.code : [...codes].join(','),
    message: results[0]!.message,
    ms: Date.now() - started,
  }),
);
