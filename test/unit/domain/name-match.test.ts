import { AWKWARD_COMPANY_NAMES, generatedCompanyNames } from '../../../sims/common/company-names';
import { CompanyNameIndex, MATCH_MIN, SCORE_IDENTICAL, SCORE_NORMALISED, nameScore, normaliseCompanyName } from '../../../domain/name-match';

const index = (names: readonly string[]) => new CompanyNameIndex(names.map((name, i) => ({ id: String(i + 1), name })));

describe('normalising company names', () => {
  test.each([
    ['Acme, Inc.', 'acme'],
    ['ACME Corp.', 'acme'],
    ['Acme Corporation', 'acme'],
    ['  Harbor View   Clinic ', 'harborviewclinic'],
    ['Müller & Söhne GmbH', 'mullersohne'],
    ['Mueller und Soehne GmbH', 'mullersohne'],
    ['The Green Leaf Café', 'greenleafcafe'],
    ['Green Leaf Cafe', 'greenleafcafe'],
    ["O'Brien Dental Pty Ltd", 'obriendental'],
    ['OBrien Dental', 'obriendental'],
    ['A&B Engineering Inc', 'abengineering'],
    ['A & B Engineering, Inc.', 'abengineering'],
    ['Fabrikam Holdings Pty. Ltd.', 'fabrikamholdings'],
    ['Blue Sky Accounting, L.L.C.', 'bluskyaccounting'],
    ['Ørsted Consulting ApS', 'orstedconsulting'],
    ['Straße & Partner', 'strassepartner'],
  ])('%s → %s', (name, key) => {
    expect(normaliseCompanyName(name).key).toBe(key);
  });

  test('a name that is only a suffix or only "The" keeps its word', () => {
    expect(normaliseCompanyName('Inc').key).toBe('inc');
    expect(normaliseCompanyName('The').key).toBe('the');
    expect(normaliseCompanyName('The Company').key).toBe('company');
  });

  test('punctuation-only, empty and non-Latin names do not crash', () => {
    expect(normaliseCompanyName('').key).toBe('');
    expect(normaliseCompanyName('!!! ,, ..').key).toBe('');
    expect(normaliseCompanyName('Δέλτα Σύμβουλοι').key).toBe('δελτασυμβουλοι');
    expect(normaliseCompanyName('日本テック株式会社').key).not.toBe('');
    expect(normaliseCompanyName('\u0000Acme\uD800 Inc').key).toContain('acme');
  });
});

describe('scoring', () => {
  test('identical beats normalised-equal beats similar', () => {
    expect(nameScore('Acme Inc', 'acme  INC')).toBe(SCORE_IDENTICAL);
    expect(nameScore('Acme Inc', 'Acme Corporation')).toBe(SCORE_NORMALISED);
    const similar = nameScore('Riverside Medical', 'Riverside Medical Centre');
    expect(similar).toBeLessThan(SCORE_NORMALISED);
    expect(similar).toBeGreaterThanOrEqual(MATCH_MIN);
  });

  test('unrelated names score low', () => {
    expect(nameScore('Acme Inc', 'Northwind Traders')).toBeLessThan(0.3);
    expect(nameScore('', 'Acme')).toBe(0);
  });
});

describe('best match among PSA companies', () => {
  const companies = index(AWKWARD_COMPANY_NAMES);

  test('an exact name wins over its suffix variants', () => {
    const m = companies.match('Acme Inc');
    expect(m.outcome).toBe('matched');
    expect(m.best).toMatchObject({ name: 'Acme Inc', score: SCORE_IDENTICAL });
    // The other Acmes are near-duplicates the partner should see.
    expect(m.alternatives.map((a) => a.name)).toEqual(expect.arrayContaining(['Acme Corporation', 'ACME Corp.', 'Acme, Inc.']));
  });

  test('several companies equal once normalised are a tie: nothing is picked', () => {
    const m = companies.match('ACME Incorporated');
    expect(m.outcome).toBe('tie');
    expect(m.best).toBeNull();
    expect(m.alternatives.length).toBeGreaterThanOrEqual(4);
    expect(m.alternatives.every((a) => a.score === SCORE_NORMALISED)).toBe(true);
  });

  test('the same company entered twice in the PSA is a tie even on an exact name', () => {
    const m = companies.match('Riverside Medical Group');
    expect(m.outcome).toBe('tie');
    expect(m.alternatives.filter((a) => a.score === SCORE_IDENTICAL)).toHaveLength(2);
    expect(m.alternatives.map((a) => a.name)).toContain('The Riverside Medical Group');
  });

  test('accents, "The", & / und and legal suffixes are matched', () => {
    expect(companies.match('Green Leaf Café Ltd').outcome).toBe('tie'); // "The Green Leaf Café" and "Green Leaf Cafe"
    expect(companies.match('Zurich Prazision').best?.name).toBe('Zürich Präzision AG');
    expect(companies.match('Chateau Logistique').best?.name).toBe('Château Logistique SARL');
    expect(companies.match('Kiwi Hardware NZ Ltd').best?.name).toBe('Kiwi Hardware NZ Limited');
    expect(companies.match('Orsted Consulting').best?.name).toBe('Ørsted Consulting ApS');
  });

  test('a close but different name is proposed with a lower score, a far one is not', () => {
    const m = companies.match('Pinnacle IT Solution');
    expect(m.best?.name).toBe('Pinnacle IT Solutions Inc.');
    expect(m.best?.score).toBeLessThan(SCORE_NORMALISED);
    expect(m.best?.score).toBeGreaterThanOrEqual(MATCH_MIN);
    const weak = companies.match('Pinnacle Dental');
    expect(weak.best).toBeNull();
    expect(companies.match('Completely Unrelated Name').outcome).toBe('none');
  });

  test('2,000 names against 5,000 companies: identical names match, suffix variants of one name tie', () => {
    const big = index(generatedCompanyNames(5000));
    const started = Date.now();
    const names = generatedCompanyNames(2000).map((n, i) => (i % 2 === 0 ? n.toUpperCase() : `The ${n}`));
    const results = names.map((n) => big.match(n));
    expect(Date.now() - started).toBeLessThan(10_000);
    // Upper-cased names are identical to exactly one company; "The X" equals X, X Inc, X LLC… once normalised.
    expect(results.filter((r) => r.outcome === 'matched')).toHaveLength(1000);
    expect(results.filter((r) => r.outcome === 'tie')).toHaveLength(1000);
  });
});
