/** The vendor-neutral pieces of the inventory contract: text fitting, grouping, batches, user matching, fixtures. */
import { PsaAuthError, PsaPermissionError, PsaRateLimitedError, PsaValidationError } from '../../../psa/core/errors';
import { eachItem, namingRight } from '../../../psa/core/batch';
import { sameCompanyName } from '../../../psa/core/companies';
import { chunk, fitText, groupBy, parseFieldKey, storableText, type PsaConfiguration } from '../../../psa/core/configurations';
import { loginCandidates, matchContact, type PsaContact } from '../../../psa/core/contacts';
import { AWKWARD_COMPANY_NAMES, generatedCompanyNames } from '../../../sims/common/company-names';

const contact = (id: string, name: string, email: string | null, login: string | null = null, active = true): PsaContact => ({ id, companyId: '1', name, email, login, active });

describe('text as a PSA can store it', () => {
  test('NUL and C0 controls go, tab and newlines stay, lone surrogates become U+FFFD, pairs stay', () => {
    expect(storableText('a\u0000b\u0007c\td\ne\r\n')).toBe('abc\td\ne\r\n');
    expect(storableText('x\ud800y\udc00z')).toBe('x\ufffdy\ufffdz');
    expect(storableText('💻 ok')).toBe('💻 ok');
  });

  test('fitText cuts to the limit without splitting a surrogate pair', () => {
    expect(fitText('ab💻', 3)).toBe('ab');
    expect(fitText('ab💻c', 4)).toBe('ab💻');
    expect(fitText('\u0000abc', 2)).toBe('ab');
  });
});

describe('grouping and batching', () => {
  const cfg = (id: string, deviceId: string | null): PsaConfiguration => ({
    id, deviceId, companyId: '1', siteId: null, typeId: null, name: id, serialNumber: null, active: true, lastModified: null, link: null, contactId: null, values: {},
  });

  test('chunk keeps order and size; groupBy maps every wanted key, ignoring case, once per record', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
    const rows = [cfg('1', 'A'), cfg('2', 'a'), cfg('1', 'A'), cfg('3', null)];
    const g = groupBy(['a', 'B'], rows, (c) => c.deviceId);
    expect(g.get('a')?.map((c) => c.id)).toEqual(['1', '2']);
    expect(g.get('B')).toEqual([]);
  });

  test('field keys have a kind and a vendor name', () => {
    expect(parseFieldKey('custom:Backup Plan')).toEqual({ kind: 'custom', name: 'Backup Plan' });
    expect(parseFieldKey('assetfield:3')).toEqual({ kind: 'assetfield', name: '3' });
    expect(parseFieldKey('osInfo')).toBeNull();
  });

  test('eachItem: an item refused alone does not stop the batch; a refusal for all does, and the rest are not sent', async () => {
    const sent: number[] = [];
    const out = await eachItem([1, 2, 3, 4, 5], 1, async (n) => {
      sent.push(n);
      if (n === 2) throw new PsaValidationError('bad item');
      if (n === 3) throw new PsaRateLimitedError('slow down', { retryAfterMs: 60_000 });
      return String(n);
    });
    expect(sent).toEqual([1, 2, 3]);
    expect(out.map((o) => (o.ok ? o.id : o.error.kind))).toEqual(['1', 'validation', 'rate_limited', 'rate_limited', 'rate_limited']);
    const auth = await eachItem([1, 2], 1, async () => {
      throw new PsaAuthError('locked');
    });
    expect(auth.map((o) => !o.ok && o.error.kind)).toEqual(['auth', 'auth']);
  });

  test('a permission refusal is re-thrown naming the right once', () => {
    const named = namingRight(new PsaPermissionError('denied'), 'Companies > Configurations (Add)', 'the role');
    expect(named).toBeInstanceOf(PsaPermissionError);
    expect((named as Error).message).toBe('denied. Needed: Companies > Configurations (Add) (the role)');
    const already = new PsaPermissionError('no Companies > Configurations (Add) here');
    expect(namingRight(already, 'Companies > Configurations (Add)', 'x')).toBe(already);
    const other = new PsaValidationError('x');
    expect(namingRight(other, 'r', 'w')).toBe(other);
  });
});

describe('matching the last logged-in user', () => {
  const contacts = [
    contact('1', 'Tim Bowers', 'tbowers@acme.example'),
    contact('2', 'Jane Doe', 'jane@acme.example', 'jdoe'),
    contact('3', 'Jane Doe', 'jane2@acme.example'),
    contact('4', 'Old Account', 'old@acme.example', 'old', false),
    contact('5', 'HL-LPT-00112\\Kiosk', null),
  ];

  test('candidates: the whole value, then the part after the last backslash', () => {
    expect(loginCandidates('HL-LPT-00112\\Tim Bowers')).toEqual(['HL-LPT-00112\\Tim Bowers', 'Tim Bowers']);
    expect(loginCandidates('  tbowers ')).toEqual(['tbowers']);
    expect(loginCandidates('A\\B\\c')).toEqual(['A\\B\\c', 'c']);
    expect(loginCandidates('')).toEqual([]);
  });

  test('by name, by e-mail local part, by login, ignoring case; the whole value wins', () => {
    expect(matchContact('HL-LPT-00112\\Tim Bowers', contacts)?.id).toBe('1');
    expect(matchContact('ACME\\TBOWERS', contacts)?.id).toBe('1');
    expect(matchContact('ACME\\jdoe', contacts)?.id).toBe('2');
    expect(matchContact('HL-LPT-00112\\Kiosk', contacts)?.id).toBe('5');
  });

  test('two equal matches, an inactive contact or nothing at all is no match', () => {
    expect(matchContact('ACME\\Jane Doe', contacts)).toBeNull();
    expect(matchContact('ACME\\old', contacts)).toBeNull();
    expect(matchContact('ACME\\nobody', contacts)).toBeNull();
  });
});

describe('company-name fixtures', () => {
  test('the awkward names carry suffix variants, duplicates, accents, "The …" and & against and', () => {
    const names = AWKWARD_COMPANY_NAMES;
    expect(names.filter((n) => n === 'Riverside Medical Group')).toHaveLength(2);
    expect(names.some((n) => /^The /.test(n))).toBe(true);
    expect(names.some((n) => /&/.test(n)) && names.some((n) => / and /.test(n))).toBe(true);
    for (const suffix of ['Inc', 'LLC', 'Ltd', 'GmbH', 'Pty']) expect(names.some((n) => new RegExp(`\\b${suffix}\\b`).test(n))).toBe(true);
    expect(names.some((n) => /[^\u0000-\u007f]/.test(n))).toBe(true);
  });

  test('generated names are distinct and the same on every call', () => {
    const a = generatedCompanyNames(5000);
    expect(new Set(a).size).toBe(5000);
    expect(generatedCompanyNames(5000)).toEqual(a);
  });

  test('exact-name equality ignores case and spacing, not punctuation or accents', () => {
    expect(sameCompanyName('  Harbor View  Clinic ', 'harbor view clinic')).toBe(true);
    expect(sameCompanyName('Acme, Inc.', 'Acme Inc')).toBe(false);
    expect(sameCompanyName('Müller', 'Muller')).toBe(false);
  });
});

describe('simulator seeds', () => {
  test('the default seeds keep their companies; awkward and generated ones come on request, with unique ids', async () => {
    const cw = await import('../../../sims/connectwise');
    const at = await import('../../../sims/autotask');
    const halo = await import('../../../sims/halopsa');
    expect(cw.createSeed().companies).toHaveLength(66);
    expect(at.createSeed().companies).toHaveLength(66);
    expect(halo.createSeed().clients).toHaveLength(67);
    const n = AWKWARD_COMPANY_NAMES.length;
    const cwBig = cw.createSeed({ awkwardCompanies: true, extraCompanies: 5000 });
    const atBig = at.createSeed({ awkwardCompanies: true, extraCompanies: 5000 });
    const haloBig = halo.createSeed({ awkwardCompanies: true, extraCompanies: 5000 });
    expect(cwBig.companies).toHaveLength(66 + n + 5000);
    expect(atBig.companies).toHaveLength(66 + n + 5000);
    expect(haloBig.clients).toHaveLength(67 + n + 5000);
    for (const ids of [cwBig.companies.map((c) => c.id), atBig.companies.map((c) => c.id), haloBig.clients.map((c) => c.id), cwBig.sites.map((s) => s.id), haloBig.sites.map((s) => s.id)]) {
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(new Set(cwBig.companies.map((c) => c.identifier.toLowerCase())).size).toBe(cwBig.companies.length);
    expect(cwBig.companies.every((c) => c.identifier.length <= 25 && c.name.length <= 50)).toBe(true);
    expect(cwBig.nextId).toBeGreaterThan(Math.max(...cwBig.sites.map((s) => s.id)));
    expect(atBig.companies.map((c) => c.companyName)).toContain('Müller & Söhne GmbH');
    expect(haloBig.clients.map((c) => c.name)).toContain('日本テック株式会社');
  });
});
