/**
 * Company names as real PSAs hold them, for organization-import fixtures: legal-suffix variants
 * (Inc / LLC / Ltd / GmbH / Pty), exact and near duplicates, accents and their ASCII spellings,
 * "The …", `&` against "and", odd punctuation and spacing, non-Latin scripts. Every simulator can
 * add them to its seed (`awkwardCompanies`) beside its plain names.
 */
export const AWKWARD_COMPANY_NAMES: readonly string[] = [
  'Acme Corporation',
  'ACME Corp.',
  'Acme, Inc.',
  'Acme Inc',
  'Müller & Söhne GmbH',
  'Mueller und Soehne GmbH',
  'The Green Leaf Café',
  'Green Leaf Cafe',
  'Smith & Sons Plumbing LLC',
  'Smith and Sons Plumbing',
  "O'Brien Dental Pty Ltd",
  'OBrien Dental',
  'Northwind Traders Ltd',
  'Northwind Traders Limited',
  'Riverside Medical Group',
  'Riverside Medical Group',
  'The Riverside Medical Group',
  'Blue Sky Accounting, LLC',
  'Blue Sky Accounting LLC',
  'Harbor View  Clinic',
  'Fabrikam Holdings Pty Ltd',
  'Fabrikam Holdings Pty. Ltd.',
  'A&B Engineering Inc',
  'A & B Engineering, Inc.',
  'Pinnacle IT Solutions Inc.',
  'Pinnacle I.T. Solutions',
  'São Paulo Logística Ltda.',
  'Zürich Präzision AG',
  'Château Logistique SARL',
  'Crème de la Crème Bakery',
  'Ørsted Consulting ApS',
  'Δέλτα Σύμβουλοι',
  '日本テック株式会社',
  'Kiwi Hardware NZ Limited',
  'the coffee company',
  'THE COFFEE COMPANY',
];

const FIRST = ['Apex', 'Birchwood', 'Cobalt', 'Driftwood', 'Evergreen', 'Foxglove', 'Goldcrest', 'Highland', 'Ironbark', 'Juniper', 'Keystone', 'Lakeside', 'Meridian', 'Northgate', 'Oakridge', 'Pioneer', 'Quarry', 'Redwood', 'Summit', 'Tidewater', 'Upland', 'Valley', 'Westfield', 'Yarrow', 'Zephyr'];
const SECOND = ['Dental', 'Legal', 'Logistics', 'Clinic', 'Foods', 'Builders', 'Accounting', 'Realty', 'Motors', 'Print', 'Studios', 'Pharmacy', 'Partners', 'Labs', 'Farms', 'Fitness', 'Travel', 'Energy', 'Media', 'Supply'];
const SUFFIX = ['', ' Inc', ' LLC', ' Ltd', ' GmbH', ' Pty Ltd', ' Group', ' & Co'];

/**
 * `count` distinct plain names, the same on every call (a benchmark tenant of thousands of
 * companies): word pairs, a legal suffix, and a branch number once the pairs run out.
 */
export function generatedCompanyNames(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i += 1) {
    const a = FIRST[i % FIRST.length] as string;
    const b = SECOND[Math.floor(i / FIRST.length) % SECOND.length] as string;
    const round = Math.floor(i / (FIRST.length * SECOND.length));
    const suffix = SUFFIX[round % SUFFIX.length] as string;
    const branch = round >= SUFFIX.length ? ` ${Math.floor(round / SUFFIX.length) + 1}` : '';
    out.push(`${a} ${b}${branch}${suffix}`);
  }
  return out;
}
