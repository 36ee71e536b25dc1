import { authenticationHeader, newNonce } from '../src/node/signer.ts';
import { metric, percentile, type Bench } from './harness.ts';

/** Cost of signing one request: nonce draw plus SHA-256, HMAC and base64. */
const bench: Bench = async ({ quick }) => {
  const url =
    'https://main.iam-api.com/management/has_registered_mobile_device/10FB9102F29A422EB14AB2F2D0F0CC02/alice%40example.com';
  const secret = '2238DACEEE2092F073FF80B9465AEF7AC86D66C7A644FB12';
  const rounds = quick ? 20 : 100;
  const perRound = 1000;
  const samples: number[] = [];
  for (let i = 0; i < perRound * 5; i++)
    authenticationHeader({ clientId: 'x', secret, url, nonce: newNonce(), timestamp: 1 }); // warm-up
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) {
      authenticationHeader({
        clientId: '10FB9102F29A422EB14AB2F2D0F0CC02',
        secret,
        url,
        nonce: newNonce(),
        timestamp: 1737150929 + i,
      });
    }
    samples.push(Number(process.hrtime.bigint() - t0) / 1000 / perRound);
  }
  await Promise.resolve();
  return {
    id: 'signing',
    title: 'HMAC v1 signing cost per request',
    metrics: [metric('median', percentile(samples, 50), 'µs'), metric('p95', percentile(samples, 95), 'µs')],
    notes: [`${rounds} rounds of ${perRound} signatures each (nonce from the CSPRNG included)`],
  };
};
export default bench;
