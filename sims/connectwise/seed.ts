/**
 * The default fixtures: a small but realistic MSP tenant. Everything is derived from fixed
 * lists so two runs produce identical ids and names. The harness reads its mapping values from
 * `SEED_FIXTURES`, which must stay in step with `createSeed()`.
 */
import { AWKWARD_COMPANY_NAMES, generatedCompanyNames } from '../common/company-names';
import { EMPTY_CONFIGURATION_DETAILS } from './configurations';
import { MODULES, type AccessLevel, type Company, type CompanySite, type Configuration, type Contact, type Member, type Module, type Ref, type SimData } from './types';

const T0 = '2025-01-06T09:00:00Z';
const info = (): Record<string, string> => ({ lastUpdated: T0, updatedBy: 'jsmith', dateEntered: T0, enteredBy: 'jsmith' });
const ref = (id: number, name: string): Ref => ({ id, name });

export const SEED_CREDENTIALS = {
  companyId: 'contoso',
  publicKey: 'pubKeyContoso01',
  privateKey: 'privKeyContosoSecret01',
  clientId: '3f2a9c4e-1b7d-4e8a-9c2f-5d6e7f8a9b0c',
} as const;

export const API_MEMBER_IDENTIFIER = 'PsaSyncApi';
export const TECHNICIAN_IDENTIFIER = 'jsmith';
/** The technician's own API keys (My Account > API Keys): changes made with them are hers, not the API member's. */
export const TECHNICIAN_API_KEYS = { publicKey: 'pubKeyJSmith01', privateKey: 'privKeyJSmithSecret01' } as const;

/** Valid mapping values inside the default seed (ids as strings, as the engine stores them). */
export const SEED_FIXTURES = {
  ticketMapping: {
    board: '1',
    status: '11',
    closedStatus: '15',
    type: '101',
    subtype: '201',
    item: '301',
    priority: '8',
    sla: '2',
  },
  planMapping: { category: '3', subcategory: '31', productType: '2', catalogItem: '1001' },
  organization: { company: '250', agreement: '500', agreementAddition: '700' },
  initialQuantity: 25,
} as const;

export function fullRights(): Map<Module, Set<AccessLevel>> {
  return new Map(MODULES.map((m) => [m, new Set<AccessLevel>(['inquire', 'add', 'edit', 'delete'])]));
}

const COMPANY_WORDS = [
  'Northwind', 'Fabrikam', 'Adventure', 'Tailspin', 'Wingtip', 'Litware', 'Proseware', 'Lucerne',
  'Margie', 'Woodgrove', 'Humongous', 'Coho', 'Blue Yonder', 'Alpine', 'Trey', 'Fourth Coffee',
  'Graphic', 'Southridge', 'Wide World', 'Relecloud', 'Contoso Pharma', 'Datum', 'Bellows', 'Consolidated',
];
const COMPANY_SUFFIXES = ['Traders', 'Legal', 'Dental', 'Logistics', 'Clinic', 'Partners', 'Builders', 'Foods'];

function seedMembers(): Member[] {
  return [
    {
      id: 177,
      identifier: API_MEMBER_IDENTIFIER,
      name: 'psa-sync API',
      publicKey: SEED_CREDENTIALS.publicKey,
      privateKey: SEED_CREDENTIALS.privateKey,
      inactiveFlag: false,
      rights: fullRights(),
    },
    { id: 12, identifier: TECHNICIAN_IDENTIFIER, name: 'Jane Smith', ...TECHNICIAN_API_KEYS, inactiveFlag: false, rights: fullRights() },
  ];
}

export interface SeedOptions {
  /** Adds the awkward import fixtures (`sims/common/company-names.ts`) after the plain companies. */
  awkwardCompanies?: boolean;
  /** Adds this many generated companies (a large tenant for import benchmarks). */
  extraCompanies?: number;
}

/** Inventory fixtures inside the default seed. */
export const INVENTORY_FIXTURES = {
  /** Company with existing configurations (an inventory that predates the device sync). */
  company: '250',
  site: '1250',
  /** Active configuration types: workstation, server. */
  workstationType: '1',
  serverType: '2',
  inactiveType: '7',
  /** Configurations already in company 250 (no device id): serial and name to match on. */
  existing: [
    { id: '2000', name: 'NW-LT-001', serialNumber: 'SN-NW-0001' },
    { id: '2001', name: 'NW-LT-002', serialNumber: 'SN-NW-0002' },
    { id: '2002', name: 'NW-SRV-01', serialNumber: 'SN-NW-SRV1' },
  ],
  /** Contacts of company 250, one of them with a Windows-style login as its e-mail local part. */
  contact: { id: '3000', name: 'Tim Bowers', email: 'tbowers@northwind.example' },
  customFields: { backupPlan: '1', warrantyStart: '2' },
} as const;

/** Stable identifiers (≤25) from names, numbered when they collide. */
function identifierFor(name: string, taken: Set<string>): string {
  const base = name.normalize('NFKD').replace(/[^A-Za-z0-9]/g, '').slice(0, 22) || 'Company';
  let id = base;
  for (let n = 2; taken.has(id.toLowerCase()); n += 1) id = `${base}${n}`;
  taken.add(id.toLowerCase());
  return id;
}

function inventorySeed(companies: Company[]): Pick<SimData, 'configurations' | 'configurationTypes' | 'configurationStatuses' | 'configurationTypeQuestions' | 'configurationCustomFields' | 'sites' | 'contacts'> {
  const configurationTypes = [
    'Managed Workstation', 'Managed Server', 'Network Device', 'Mobile Device', 'Virtual Machine', 'Printer', 'Legacy Device',
  ].map((name, i) => ({ id: i + 1, name, inactiveFlag: name === 'Legacy Device', systemFlag: false, _info: info() }));
  const configurationStatuses = [
    { id: 1, description: 'Active', closedFlag: false, defaultFlag: true, _info: info() },
    { id: 2, description: 'Inactive', closedFlag: true, defaultFlag: false, _info: info() },
    { id: 3, description: 'Retired', closedFlag: true, defaultFlag: false, _info: info() },
  ];
  const configurationTypeQuestions = [
    { id: 1, typeId: 1, question: 'Backup agent installed?', fieldType: 'Checkbox' as const, sequenceNumber: 1, requiredFlag: false, inactiveFlag: false },
    { id: 2, typeId: 1, question: 'Disk encryption', fieldType: 'Text' as const, sequenceNumber: 2, requiredFlag: false, inactiveFlag: false },
    { id: 3, typeId: 2, question: 'Backup retention (days)', fieldType: 'Number' as const, sequenceNumber: 1, requiredFlag: false, inactiveFlag: false },
  ];
  const configurationCustomFields = [
    { id: 1, caption: 'Backup Plan', type: 'Text' as const, entryMethod: 'EntryField' as const, numberOfDecimals: 0 },
    { id: 2, caption: 'Warranty Start', type: 'Date' as const, entryMethod: 'EntryField' as const, numberOfDecimals: 0 },
    { id: 3, caption: 'Monitored', type: 'Checkbox' as const, entryMethod: 'EntryField' as const, numberOfDecimals: 0 },
  ];
  const sites: CompanySite[] = companies.map((c) => ({
    id: c.id + 1000,
    name: 'Main',
    company: { id: c.id, identifier: c.identifier, name: c.name },
    addressLine1: null,
    city: null,
    primaryAddressFlag: true,
    inactiveFlag: false,
    _info: info(),
  }));
  const company = companies[0] as Company;
  const companyRef = { id: company.id, identifier: company.identifier, name: company.name };
  const configuration = (id: number, name: string, serialNumber: string, typeId: number): Configuration => ({
    id,
    name,
    type: ref(typeId, configurationTypes[typeId - 1]?.name ?? ''),
    status: ref(1, 'Active'),
    company: companyRef,
    site: ref(company.id + 1000, 'Main'),
    ...EMPTY_CONFIGURATION_DETAILS,
    serialNumber,
    questions: configurationTypeQuestions.filter((q) => q.typeId === typeId).map((q) => ({ questionId: q.id, question: q.question, answer: null, fieldType: q.fieldType })),
    customFields: configurationCustomFields.map((f) => ({ ...f, value: null })),
    _info: info(),
  });
  const configurations = INVENTORY_FIXTURES.existing.map((e, i) => configuration(Number(e.id), e.name, e.serialNumber, i === 2 ? 2 : 1));
  const people: [string, string | null, string][] = [
    ['Tim', 'Bowers', 'tbowers@northwind.example'],
    ['Jane', 'Doe', 'jane.doe@northwind.example'],
    ['Jane', 'Doe', 'jdoe2@northwind.example'],
    ['Priya', 'Raman', 'priya@northwind.example'],
  ];
  const contacts: Contact[] = people.map(([firstName, lastName, email], i) => ({
    id: 3000 + i,
    firstName,
    lastName,
    company: companyRef,
    site: ref(company.id + 1000, 'Main'),
    inactiveFlag: false,
    communicationItems: [{ type: ref(1, 'Email'), value: email, defaultFlag: true, communicationType: 'Email' as const }],
    _info: info(),
  }));
  return { configurations, configurationTypes, configurationStatuses, configurationTypeQuestions, configurationCustomFields, sites, contacts };
}

export function createSeed(options: SeedOptions = {}): SimData {
  const boards = [
    { id: 1, name: 'Help Desk', inactiveFlag: false, projectFlag: false, _info: info() },
    { id: 2, name: 'Managed Services', inactiveFlag: false, projectFlag: false, _info: info() },
    { id: 3, name: 'Alerts', inactiveFlag: false, projectFlag: false, _info: info() },
    { id: 4, name: 'Professional Services', inactiveFlag: false, projectFlag: true, _info: info() },
    { id: 5, name: 'Old Queue', inactiveFlag: true, projectFlag: false, _info: info() },
  ];
  const statusNames: [string, boolean, boolean][] = [
    // name, closedStatus, inactive
    ['New', false, false],
    ['In Progress', false, false],
    ['Waiting on Customer', false, false],
    ['Scheduled', false, false],
    ['Completed', true, false],
    ['Closed', true, false],
    ['Cancelled', true, true],
  ];
  const statuses = boards.flatMap((b) =>
    statusNames.map(([name, closed, inactive], i) => ({
      id: b.id * 10 + i + 1,
      name: closed ? `>${name}` : name,
      board: ref(b.id, b.name),
      sortOrder: i,
      inactive,
      closedStatus: closed,
      defaultFlag: i === 0,
      escalationStatus: 'NotResponded',
      _info: info(),
    })),
  );
  const child = (base: number, names: string[]) =>
    boards.flatMap((b) =>
      names.map((name, i) => ({
        id: base + (b.id - 1) * 10 + i,
        name,
        board: ref(b.id, b.name),
        inactiveFlag: false,
        defaultFlag: i === 0,
        _info: info(),
      })),
    );
  const types = child(101, ['Backup', 'Network', 'Workstation', 'Server']).map((t) => ({ ...t, category: 'Reactive' as const }));
  const subtypes = child(201, ['Job Failed', 'Job Warning', 'Storage Quota', 'License']);
  const items = child(301, ['Microsoft 365', 'Google Workspace', 'Endpoint']);

  const priorities = [
    'Priority 1 - Critical', 'Priority 2 - High', 'Priority 3 - Normal', 'Priority 4 - Low', 'Do Not Respond',
  ].map((name, i) => ({ id: 6 + i, name, color: ['red', 'orange', 'green', 'blue', 'gray'][i] as string, sortOrder: i, defaultFlag: i === 2, _info: info() }));
  const slas = [
    { id: 1, name: 'Standard SLA', basedOn: 'MyCalendar' as const, defaultFlag: true, respondHours: 4, resolutionHours: 24, _info: info() },
    { id: 2, name: 'Managed Services SLA', basedOn: 'AllHours' as const, defaultFlag: false, respondHours: 1, resolutionHours: 8, _info: info() },
    { id: 3, name: 'Best Effort', basedOn: 'Customer' as const, defaultFlag: false, respondHours: 24, resolutionHours: 72, _info: info() },
  ];

  const companies = Array.from({ length: 66 }, (_, i) => {
    const word = COMPANY_WORDS[i % COMPANY_WORDS.length] as string;
    const suffix = COMPANY_SUFFIXES[Math.floor(i / COMPANY_WORDS.length) % COMPANY_SUFFIXES.length] as string;
    const name = `${word} ${suffix}`;
    return {
      id: 250 + i,
      identifier: `${word.replace(/\s+/g, '')}${suffix.slice(0, 3)}`.slice(0, 25),
      name,
      status: ref(1, i === 65 ? 'Inactive' : 'Active'),
      types: [ref(1, 'Client')],
      deletedFlag: false,
      _info: info(),
    };
  });

  const taken = new Set(companies.map((c) => c.identifier.toLowerCase()));
  const extraNames = [...(options.awkwardCompanies ? AWKWARD_COMPANY_NAMES : []), ...generatedCompanyNames(options.extraCompanies ?? 0)];
  extraNames.forEach((name, i) => {
    companies.push({
      id: 320 + i,
      identifier: identifierFor(name, taken),
      name: name.slice(0, 50),
      status: ref(1, 'Active'),
      types: [ref(1, 'Client')],
      deletedFlag: false,
      _info: info(),
    });
  });

  const categories = [
    { id: 1, name: 'Hardware', inactiveFlag: false, _info: info() },
    { id: 2, name: 'Managed Services', inactiveFlag: false, _info: info() },
    { id: 3, name: 'Cloud Backup', inactiveFlag: false, _info: info() },
  ];
  const subcategories = [
    { id: 11, name: 'Workstations', category: ref(1, 'Hardware') },
    { id: 12, name: 'Networking', category: ref(1, 'Hardware') },
    { id: 21, name: 'Monitoring', category: ref(2, 'Managed Services') },
    { id: 22, name: 'Help Desk', category: ref(2, 'Managed Services') },
    { id: 31, name: 'SaaS Backup', category: ref(3, 'Cloud Backup') },
    { id: 32, name: 'Server Backup', category: ref(3, 'Cloud Backup') },
  ].map((s) => ({ ...s, inactiveFlag: false, _info: info() }));
  const productTypes = [
    { id: 1, name: 'Non-Inventory', typeXref: 'NI' },
    { id: 2, name: 'Service', typeXref: 'SVC' },
    { id: 3, name: 'Agreement', typeXref: 'AGR' },
  ].map((p) => ({ ...p, inactiveFlag: false, _info: info() }));
  const catalogSpecs: [number, string, string, number, number, 'Service' | 'NonInventory' | 'Agreement', number][] = [
    // id, identifier, description, category, subcategory, class, price
    [1001, 'SAAS-M365-SEAT', 'SaaS Backup for Microsoft 365 (per seat)', 3, 31, 'Service', 3.5],
    [1002, 'SAAS-GWS-SEAT', 'SaaS Backup for Google Workspace (per seat)', 3, 31, 'Service', 3.0],
    [1003, 'SAAS-M365-ARCH', 'SaaS Backup Archive (per seat)', 3, 31, 'Service', 1.5],
    [1004, 'SRV-BACKUP-TB', 'Server Backup (per TB)', 3, 32, 'Service', 45],
    [1005, 'SRV-BACKUP-DEV', 'Server Backup (per device)', 3, 32, 'Service', 25],
    [1006, 'RMM-AGENT', 'Remote Monitoring Agent', 2, 21, 'Agreement', 4],
    [1007, 'HD-USER', 'Help Desk per User', 2, 22, 'Agreement', 35],
    [1008, 'HD-DEVICE', 'Help Desk per Device', 2, 22, 'Agreement', 15],
    [1009, 'WS-LAPTOP-14', 'Business Laptop 14"', 1, 11, 'NonInventory', 1199],
    [1010, 'NET-SW-24', '24-port Managed Switch', 1, 12, 'NonInventory', 549],
    [1011, 'SAAS-LEGACY', 'Legacy Backup (discontinued)', 3, 31, 'Service', 5],
  ];
  const catalog = catalogSpecs.map(([id, identifier, description, cat, sub, productClass, price]) => ({
    id,
    identifier,
    description,
    customerDescription: description,
    category: ref(cat, categories.find((c) => c.id === cat)?.name ?? ''),
    subcategory: ref(sub, subcategories.find((s) => s.id === sub)?.name ?? ''),
    type: productClass === 'Service' ? ref(2, 'Service') : productClass === 'Agreement' ? ref(3, 'Agreement') : ref(1, 'Non-Inventory'),
    productClass,
    price,
    cost: Math.round(price * 45) / 100,
    inactiveFlag: identifier === 'SAAS-LEGACY',
    recurringFlag: productClass !== 'NonInventory',
    _info: info(),
  }));

  // Agreements for the first 24 companies; two for every third one, one of them cancelled.
  const agreements: SimData['agreements'] = [];
  const additions: SimData['additions'] = [];
  let agreementId = 500;
  let additionId = 700;
  for (const company of companies.slice(0, 24)) {
    const count = (company.id - 250) % 3 === 0 ? 2 : 1;
    for (let k = 0; k < count; k += 1) {
      const cancelled = k === 1;
      const agreement = {
        id: agreementId,
        name: cancelled ? `${company.name} - Legacy MSA` : `${company.name} - Managed Services`,
        type: ref(1, 'Managed Services'),
        company: { id: company.id, identifier: company.identifier, name: company.name },
        startDate: '2024-01-01T00:00:00Z',
        endDate: cancelled ? '2024-12-31T00:00:00Z' : null,
        noEndingDateFlag: !cancelled,
        cancelledFlag: cancelled,
        agreementStatus: cancelled ? ('Cancelled' as const) : ('Active' as const),
        billingCycle: ref(2, 'Monthly'),
        _info: info(),
      };
      agreements.push(agreement);
      const products = cancelled ? [1011] : [1001, 1003, 1006];
      products.forEach((productId, p) => {
        const product = catalog.find((c) => c.id === productId);
        if (!product) return;
        const quantity = additionId === 700 ? SEED_FIXTURES.initialQuantity : 5 + ((company.id + p) % 40);
        additions.push({
          id: additionId,
          agreementId: agreement.id,
          product: { id: product.id, identifier: product.identifier },
          quantity,
          lessIncluded: 0,
          unitPrice: product.price,
          unitCost: product.cost,
          billCustomer: 'Billable',
          effectiveDate: '2024-01-01T00:00:00Z',
          cancelledDate: cancelled ? '2024-12-31T00:00:00Z' : null,
          description: product.description,
          invoiceDescription: product.customerDescription,
          uom: 'Each',
          extPrice: Math.round(product.price * quantity * 100) / 100,
          agreementStatus: agreement.agreementStatus,
          _info: info(),
        });
        additionId += 1;
      });
      agreementId += 1;
    }
  }

  return {
    companyId: SEED_CREDENTIALS.companyId,
    companyName: 'Contoso IT Services',
    codebase: 'v2025_1/',
    clientIds: [SEED_CREDENTIALS.clientId],
    members: seedMembers(),
    boards,
    statuses,
    types,
    subtypes,
    items,
    priorities,
    slas,
    companies,
    agreements,
    agreementTypes: [
      { id: 1, name: 'Managed Services', defaultFlag: true, inactiveFlag: false },
      { id: 2, name: 'Block Time', defaultFlag: false, inactiveFlag: false },
      { id: 3, name: 'Legacy Support', defaultFlag: false, inactiveFlag: true },
    ],
    additions,
    categories,
    subcategories,
    productTypes,
    catalog,
    tickets: [],
    notes: [],
    callbacks: [],
    ...inventorySeed(companies),
    signingKeys: new Map([['key-1', 'c2lnbmluZy1rZXktY29udG9zby0x']]),
    currentKeyId: 'key-1',
    // Ids the simulator hands out start above every seeded one.
    nextId: Math.max(5000, 320 + extraNames.length + 1000),
  };
}
