import { isBlockedAddress, STRICT_URL_POLICY, validateSiteUrl } from '../../../psa/core/url-guard';
import { PsaConfigError } from '../../../psa/core/errors';

const CW = ['*.myconnectwise.net'];

test.each(['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '224.0.0.1'])(
  '%s is blocked',
  (ip) => expect(isBlockedAddress(ip)).toBe(true),
);

test.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'])('%s is allowed', (ip) => expect(isBlockedAddress(ip)).toBe(false));

test('the strict policy refuses http, foreign hosts, IP literals and credentials in the URL', async () => {
  await expect(validateSiteUrl('http://api-na.myconnectwise.net', CW, STRICT_URL_POLICY)).rejects.toThrow(/https/);
  await expect(validateSiteUrl('https://evil.example.com', CW, STRICT_URL_POLICY)).rejects.toThrow(/not a known host/);
  await expect(validateSiteUrl('https://127.0.0.1:8443', CW, STRICT_URL_POLICY)).rejects.toThrow(PsaConfigError);
  await expect(validateSiteUrl('https://169.254.169.254/latest', CW, STRICT_URL_POLICY)).rejects.toThrow(PsaConfigError);
  await expect(validateSiteUrl('https://user:pw@api-na.myconnectwise.net', CW, STRICT_URL_POLICY)).rejects.toThrow(/user name/);
  await expect(validateSiteUrl('not a url at all', CW, STRICT_URL_POLICY)).rejects.toThrow(PsaConfigError);
});

test('a vendor host that resolves to loopback is refused unless private networks are allowed', async () => {
  // localhost matches the allow-list pattern but resolves to 127.0.0.1
  const policy = { ...STRICT_URL_POLICY, allowHosts: ['localhost'] };
  await expect(validateSiteUrl('https://localhost:9', CW, policy)).rejects.toThrow(/private or reserved/);
  const open = { allowHosts: ['localhost'], allowPrivateNetworks: true, allowHttp: true };
  await expect(validateSiteUrl('http://localhost:9', CW, open)).resolves.toBeInstanceOf(URL);
});

test('a scheme-less host gets https', async () => {
  const policy = { allowHosts: [], allowPrivateNetworks: true, allowHttp: false };
  const url = await validateSiteUrl('api-na.myconnectwise.net', CW, policy);
  expect(url.protocol).toBe('https:');
  expect(url.hostname).toBe('api-na.myconnectwise.net');
});
