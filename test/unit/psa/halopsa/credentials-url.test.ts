import { PsaConfigError } from '../../../../psa/core/errors';
import { STRICT_URL_POLICY } from '../../../../psa/core/url-guard';
import { halopsaFactory, haloPsaCredentialsSchema, normaliseSiteUrl } from '../../../../psa/halopsa';

const creds = (siteUrl: string) => ({ siteUrl, clientId: 'client', clientSecret: 'secret' });
const ctx = (policy = STRICT_URL_POLICY) => ({ connectionKey: 'halo-url-test', urlPolicy: policy });

describe('HaloPSA site URL normalisation', () => {
  it.each([
    ['acme.halopsa.com', 'https://acme.halopsa.com'],
    ['acme.halopsa.com/api', 'https://acme.halopsa.com'],
    ['https://acme.halopsa.com/api/', 'https://acme.halopsa.com'],
    ['  https://acme.halopsa.com/API//  ', 'https://acme.halopsa.com'],
    ['https://halo.msp.example/halo/api', 'https://halo.msp.example/halo'],
    ['http://127.0.0.1:8080/api', 'http://127.0.0.1:8080'],
    ['https://acme.halopsa.com/apiary', 'https://acme.halopsa.com/apiary'],
  ])('%s → %s', (raw, expected) => {
    expect(normaliseSiteUrl(raw)).toBe(expected);
  });

  it('the credentials schema trims, normalises and names missing fields', () => {
    const parsed = haloPsaCredentialsSchema.parse({ siteUrl: ' acme.halopsa.com/api ', clientId: ' id ', clientSecret: ' s ', tenant: ' ' });
    expect(parsed).toEqual({ siteUrl: 'https://acme.halopsa.com', clientId: 'id', clientSecret: 's', tenant: undefined });
    const bad = haloPsaCredentialsSchema.safeParse({ siteUrl: '', clientId: '  ' });
    expect(bad.success).toBe(false);
    const messages = bad.error?.issues.map((i) => i.message) ?? [];
    expect(messages).toEqual(expect.arrayContaining(['Site URL is required', 'Client ID is required', 'Client Secret is required']));
    expect(halopsaFactory.secretFields).toEqual(['clientSecret']);
  });
});

describe('HaloPSA SSRF guard (strict policy)', () => {
  it.each([
    ['http://acme.halopsa.com', /https/],
    ['https://127.0.0.1:8443', /IP address/],
    ['https://10.0.0.5', /IP address/],
    ['https://169.254.169.254/api', /IP address/],
    ['https://[::1]:8443', /IP address/],
    ['https://evil.example.com', /not a known host/],
    ['https://halopsa.com.evil.example', /not a known host/],
    ['https://user:pw@acme.halopsa.com', /user name or password/],
  ])('refuses %s', async (url, why) => {
    const err = await halopsaFactory.create(creds(url), ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PsaConfigError);
    expect((err as Error).message).toMatch(why);
  });

  it('accepts every hosted Halo domain and self-hosted hosts the deployment allows', async () => {
    const open = { allowHosts: ['halo.msp.example'], allowPrivateNetworks: true, allowHttp: false };
    for (const url of ['acme.halopsa.com', 'acme.haloitsm.com/api', 'https://acme.haloservicedesk.com', 'https://halo.msp.example/api']) {
      await expect(halopsaFactory.create(creds(url), ctx(open))).resolves.toBeDefined();
    }
    const err = await halopsaFactory.create(creds('https://other.msp.example'), ctx(open)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PsaConfigError);
  });

  it('refuses loopback even when the host is allow-listed, unless private networks are allowed', async () => {
    const policy = { allowHosts: ['localhost'], allowPrivateNetworks: false, allowHttp: false };
    const err = await halopsaFactory.create(creds('https://localhost:9443'), ctx(policy)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PsaConfigError);
    expect((err as Error).message).toMatch(/private or reserved|could not be resolved/);
  });

  it('declares the hosted budget as its default limits', () => {
    expect(halopsaFactory.defaultLimits).toEqual({ maxRequests: 300, windowMs: 300_000, maxConcurrentPerEndpoint: 10 });
  });
});
