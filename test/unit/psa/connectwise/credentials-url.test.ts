/** What the partner types in: normalisation, messages, and the SSRF guard around the site URL. */
import { connectwiseFactory, normaliseSiteUrl } from '../../../../psa/connectwise';
import { PsaConfigError } from '../../../../psa/core/errors';
import { STRICT_URL_POLICY, type UrlPolicy } from '../../../../psa/core/url-guard';

const base = {
  siteUrl: 'api-na.myconnectwise.net',
  companyId: 'contoso',
  publicKey: 'pub',
  privateKey: 'priv-SENTINEL-123',
  clientId: '3f2a9c4e-1b7d-4e8a-9c2f-5d6e7f8a9b0c',
};
const parse = (over: Record<string, unknown>) => connectwiseFactory.credentialsSchema.safeParse({ ...base, ...over });
const messages = (over: Record<string, unknown>) => {
  const r = parse(over);
  return r.success ? [] : r.error.issues.map((i) => i.message);
};

describe('site URL normalisation', () => {
  it.each([
    ['api-na.myconnectwise.net', 'https://api-na.myconnectwise.net'],
    ['  API-EU.MyConnectWise.net/  ', 'https://api-eu.myconnectwise.net'],
    ['https://api-au.myconnectwise.net/v4_6_release/apis/3.0/service/tickets?x=1', 'https://api-au.myconnectwise.net'],
    ['http://api-na.myconnectwise.net', 'https://api-na.myconnectwise.net'],
    ['api-staging.connectwisedev.com', 'https://api-staging.connectwisedev.com'],
    ['cw.example-msp.com:8443', 'https://cw.example-msp.com:8443'],
  ])('%s → %s', (raw, origin) => {
    expect(normaliseSiteUrl(raw)).toEqual({ ok: true, origin });
  });

  it.each([
    ['na.myconnectwise.net', /api- prefix.*api-na\.myconnectwise\.net/],
    ['www.myconnectwise.net', /api- prefix/],
    ['myconnectwise.net', /api- prefix/],
    ['sandbox.connectwisedev.com', /api-sandbox\.connectwisedev\.com/],
    ['api-na-myconnectwise.net', /did you mean api-na\.myconnectwise\.net\?/],
    ['https://user:pw@api-na.myconnectwise.net', /user name or password/],
    ['ftp://api-na.myconnectwise.net', /https/],
    ['', /required|Enter the Site URL/],
  ])('refuses %s with a message that helps', (raw, message) => {
    const r = normaliseSiteUrl(raw);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toMatch(message);
  });
});

describe('credentials schema', () => {
  it('trims every field and normalises the site', () => {
    const r = parse({ siteUrl: ' api-na.myconnectwise.net ', companyId: ' contoso ', publicKey: ' pub ', codebase: 'v2025_1' });
    expect(r.success && r.data).toEqual({ ...base, siteUrl: 'https://api-na.myconnectwise.net', codebase: 'v2025_1/' });
  });

  it('names each missing field', () => {
    const r = connectwiseFactory.credentialsSchema.safeParse({});
    const text = r.success ? '' : r.error.issues.map((i) => i.message).join('|');
    for (const label of ['Site URL', 'Company ID', 'Public Key', 'Private Key']) expect(text).toContain(label);
    expect(text).not.toContain('Client ID'); // the vendor's, configured by the deployment
  });

  it('requires a GUID clientId and sane company ids, without echoing secrets', () => {
    expect(messages({ clientId: 'not-a-guid' })).toEqual(['Client ID must be the GUID issued by developer.connectwise.com']);
    expect(messages({ companyId: 'con toso' })[0]).toMatch(/Company ID may only contain/);
    expect(messages({ privateKey: 'has space SENTINEL' }).join(' ')).not.toContain('SENTINEL');
    expect(connectwiseFactory.secretFields).toEqual(['privateKey']);
  });
});

describe('SSRF guard in create()', () => {
  const ctx = (urlPolicy: UrlPolicy) => ({ connectionKey: `ssrf-${Math.random()}`, urlPolicy });
  const creds = (siteUrl: string) => connectwiseFactory.credentialsSchema.parse({ ...base, siteUrl });

  it('the strict policy refuses loopback, private and metadata addresses', async () => {
    for (const host of ['127.0.0.1:8443', '10.0.0.5', '192.168.1.10', '169.254.169.254', '[::1]']) {
      await expect(connectwiseFactory.create(creds(host), ctx(STRICT_URL_POLICY))).rejects.toBeInstanceOf(PsaConfigError);
    }
  });

  it('the strict policy refuses hosts that are not ConnectWise and plain http', async () => {
    await expect(connectwiseFactory.create(creds('cw.example-msp.com'), ctx(STRICT_URL_POLICY))).rejects.toThrow(/not a known host/);
    await expect(connectwiseFactory.create(creds('api-na.myconnectwise.net.evil.example'), ctx(STRICT_URL_POLICY))).rejects.toThrow(/not a known host/);
  });

  it('a cloud host resolving to a private address is refused before any request', async () => {
    // localhost is neither a vendor host nor public: refused by host pattern first.
    await expect(connectwiseFactory.create(creds('localhost:9'), ctx(STRICT_URL_POLICY))).rejects.toBeInstanceOf(PsaConfigError);
  });

  it('invalid stored credentials surface as PsaConfigError with field messages only', async () => {
    const broken = { ...creds('api-na.myconnectwise.net'), siteUrl: 'na.myconnectwise.net', privateKey: 'x SENTINEL' };
    const err = await connectwiseFactory.create(broken, ctx(STRICT_URL_POLICY)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PsaConfigError);
    expect((err as Error).message).toMatch(/api- prefix/);
    expect((err as Error).message).not.toContain('SENTINEL');
  });
});
