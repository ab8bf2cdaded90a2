/**
 * A PSA whose TLS does not verify: a call fails at once with the reason (no retries inside the
 * call), the pre-connect check says so without sending anything, and a URL the policy refuses
 * is refused before any socket is opened.
 */
import { PsaHttpClient, probeTls, TlsFailedError } from '../../../psa/core/http';
import { RateGovernor } from '../../../psa/core/governor';
import { PsaUnavailableError } from '../../../psa/core/errors';
import { checkSite } from '../../../psa/core/site-check';
import { STRICT_URL_POLICY, UrlNotAllowedError } from '../../../psa/core/url-guard';
import { startUntrustedTlsSite, type UntrustedTlsSite } from '../../../sims/common/untrusted-tls';

let site: UntrustedTlsSite;
beforeAll(async () => {
  site = await startUntrustedTlsSite();
});
afterAll(async () => {
  await site.close();
});

test('an untrusted certificate fails the call once, quickly, as TlsFailedError (an outage to Temporal)', async () => {
  let calls = 0;
  const client = new PsaHttpClient({
    baseUrl: site.url,
    governor: new RateGovernor({ maxRequests: 100, windowMs: 1000, maxConcurrentPerEndpoint: 5 }),
    mapError: () => new PsaUnavailableError('unexpected'),
    onCall: () => (calls += 1),
  });
  const started = Date.now();
  const err = await client.request({ method: 'GET', url: 'status', idempotent: true }).catch((e: unknown) => e);
  client.close();
  expect(err).toBeInstanceOf(TlsFailedError);
  expect(err).toBeInstanceOf(PsaUnavailableError);
  expect((err as TlsFailedError).name).toBe('PsaUnavailableError');
  expect((err as Error).message).toBe('TLS with localhost failed: the certificate is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)');
  expect(calls).toBe(1);
  expect(Date.now() - started).toBeLessThan(2000);
  expect(site.requests).toBe(0);
});

test('the pre-connect check refuses the site by its TLS, or by the URL policy before any socket', async () => {
  await expect(probeTls(new URL(site.url))).rejects.toThrow(/self-signed/);
  const allowLoopback = { urlPolicy: { allowHosts: ['localhost'], allowPrivateNetworks: true, allowHttp: false }, connectionKey: 'k' };
  await expect(checkSite(site.host, [], allowLoopback)).rejects.toBeInstanceOf(TlsFailedError);
  const refused = await checkSite(site.host, [], { urlPolicy: STRICT_URL_POLICY, connectionKey: 'k' }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(UrlNotAllowedError);
  expect((refused as UrlNotAllowedError).code).toBe('url_not_allowed');
  // A port nobody listens on is not a TLS failure: the first real call reports it.
  await expect(probeTls(new URL('https://127.0.0.1:1'))).resolves.toBeUndefined();
  expect(site.requests).toBe(0);
});
