/**
 * The Autotask simulator's starting data: one API user and one technician, ticket picklists as
 * `Tickets/entityInformation/fields` serves them (string values), companies, services,
 * contracts with contract services and their current-period units.
 */
export interface PicklistValue {
  value: string;
  label: string;
  isActive: boolean;
  isSystem: boolean;
  isDefaultValue: boolean;
  sortOrder: number;
  parentValue: string;
}

import { AWKWARD_COMPANY_NAMES, generatedCompanyNames } from '../common/company-names';

export interface Company {
  id: number;
  companyName: string;
  companyType: number;
  isActive: boolean;
  /** Set on companies made through the API (the seeded ones predate these fields here). */
  phone?: string;
  ownerResourceID?: number;
  lastTrackedModifiedDateTime?: string;
}
export interface Service { id: number; name: string; description: string; isActive: boolean; unitPrice: number }
export interface Contract {
  id: number;
  companyID: number;
  contractName: string;
  contractType: number;
  status: number;
  contractCategory?: number | null;
  startDate?: string;
  endDate?: string;
}
export interface ContractService { id: number; contractID: number; serviceID: number; invoiceDescription: string; unitPrice: number }
export interface ContractServiceUnit { id: number; contractID: number; contractServiceID: number; serviceID: number; startDate: string; endDate: string; units: number }
export interface Resource { id: number; userName: string; firstName: string; lastName: string; isActive: boolean }

export interface Ticket {
  id: number;
  ticketNumber: string;
  title: string;
  description: string;
  companyID: number;
  queueID: number | null;
  status: number;
  priority: number;
  issueType: number | null;
  subIssueType: number | null;
  serviceLevelAgreementID: number | null;
  externalID: string | null;
  rmmAlertID: string | null;
  resolution: string | null;
  assignedResourceID: number | null;
  createDate: string;
  completedDate: string | null;
  lastActivityDate: string;
  lastActivityResourceID: number | null;
  creatorResourceID: number;
}

export interface TicketNote { id: number; ticketID: number; title: string; description: string; noteType: number; publish: number; creatorResourceID: number; createDateTime: string }

/** A configuration item ("device"): an instance of a product at a company. */
export interface ConfigurationItem {
  id: number;
  companyID: number;
  productID: number;
  isActive: boolean;
  referenceTitle: string | null;
  referenceNumber: string | null;
  serialNumber: string | null;
  configurationItemType: number | null;
  configurationItemCategoryID: number;
  companyLocationID: number | null;
  contactID: number | null;
  installDate: string | null;
  warrantyExpirationDate: string | null;
  notes: string | null;
  location: string | null;
  rmmDeviceUID: string | null;
  rmmDeviceAuditHostname: string | null;
  rmmDeviceAuditOperatingSystem: string | null;
  rmmDeviceAuditLastUser: string | null;
  createDate: string;
  lastModifiedTime: string;
  userDefinedFields: { name: string; value: string | null }[];
}

export interface ConfigurationItemType { id: number; name: string; isActive: boolean }
export interface ConfigurationItemCategory { id: number; name: string; isActive: boolean; isDefault: boolean }
export interface Product { id: number; name: string; description: string | null; isActive: boolean; isSerialized: boolean; productBillingCodeID: number }
export interface BillingCode { id: number; name: string; isActive: boolean; useType: number }
export interface Contact { id: number; companyID: number; firstName: string; lastName: string; emailAddress: string | null; isActive: boolean }
export interface CompanyLocation { id: number; companyID: number; name: string; isPrimary: boolean; isActive: boolean }
/** A configuration-item UDF as `entityInformation/userDefinedFields` describes it. */
export interface UdfDefinition { name: string; dataType: 'string' | 'integer' | 'double' | 'datetime'; length: number; isRequired: boolean; isProtected: boolean }

export type PicklistField = 'queueID' | 'status' | 'priority' | 'issueType' | 'subIssueType' | 'serviceLevelAgreementID';

export interface AutotaskSeed {
  apiUser: { userName: string; secret: string; integrationCode: string; resourceId: number };
  technician: Resource;
  picklists: Record<PicklistField, PicklistValue[]>;
  companies: Company[];
  services: Service[];
  contracts: Contract[];
  contractServices: ContractService[];
  units: ContractServiceUnit[];
  configurationItems: ConfigurationItem[];
  configurationItemTypes: ConfigurationItemType[];
  configurationItemCategories: ConfigurationItemCategory[];
  products: Product[];
  billingCodes: BillingCode[];
  contacts: Contact[];
  companyLocations: CompanyLocation[];
  configurationItemUdfs: UdfDefinition[];
}

export interface SeedOptions {
  /** Adds the awkward import fixtures (`sims/common/company-names.ts`) after the plain companies. */
  awkwardCompanies?: boolean;
  /** Adds this many generated companies (a large tenant for import benchmarks). */
  extraCompanies?: number;
}

/** Inventory fixtures inside the default seed. */
export const INVENTORY_FIXTURES = {
  company: '1000',
  location: '201000',
  /** Products (the Autotask "type" of a device): workstation, server. */
  workstationProduct: '601',
  serverProduct: '602',
  inactiveProduct: '609',
  billingCode: '29682790',
  /** The configuration-item UDF that holds our device id. */
  deviceIdUdf: 'Platform Device ID',
  /** A second UDF (field mappings). */
  backupPlanUdf: 'Backup Plan',
  existing: [
    { id: '50000', name: 'ALPINE-LT-01', serialNumber: 'SN-AL-0001' },
    { id: '50001', name: 'ALPINE-LT-02', serialNumber: 'SN-AL-0002' },
  ],
  contact: { id: '45000', name: 'Tim Bowers', email: 'tbowers@alpine.example' },
} as const;

const T0 = '2025-01-06T09:00:00.000Z';

function inventorySeed(companies: Company[]): Pick<AutotaskSeed, 'configurationItems' | 'configurationItemTypes' | 'configurationItemCategories' | 'products' | 'billingCodes' | 'contacts' | 'companyLocations' | 'configurationItemUdfs'> {
  const products: Product[] = [
    [601, 'Managed Workstation'], [602, 'Managed Server'], [603, 'Network Device'], [604, 'Virtual Machine'], [609, 'Legacy Appliance'],
  ].map(([id, name]) => ({ id: id as number, name: name as string, description: null, isActive: id !== 609, isSerialized: true, productBillingCodeID: 29682790 }));
  const companyLocations: CompanyLocation[] = companies.map((c) => ({ id: 200_000 + c.id, companyID: c.id, name: 'Primary', isPrimary: true, isActive: true }));
  const first = companies.find((c) => c.id === 1000) as Company;
  const ci = (id: number, title: string, serial: string): ConfigurationItem => ({
    id, companyID: first.id, productID: 601, isActive: true, referenceTitle: title, referenceNumber: null, serialNumber: serial, configurationItemType: 1,
    configurationItemCategoryID: 1, companyLocationID: 201000, contactID: null, installDate: null, warrantyExpirationDate: null, notes: null, location: null,
    rmmDeviceUID: null, rmmDeviceAuditHostname: title, rmmDeviceAuditOperatingSystem: null, rmmDeviceAuditLastUser: null, createDate: T0, lastModifiedTime: T0,
    userDefinedFields: [{ name: 'Platform Device ID', value: null }, { name: 'Platform Device Link', value: null }, { name: 'Backup Plan', value: null }, { name: 'Warranty Start', value: null }],
  });
  return {
    configurationItems: INVENTORY_FIXTURES.existing.map((e) => ci(Number(e.id), e.name, e.serialNumber)),
    configurationItemTypes: [{ id: 1, name: 'Workstation', isActive: true }, { id: 2, name: 'Server', isActive: true }, { id: 3, name: 'Network', isActive: false }],
    configurationItemCategories: [{ id: 1, name: 'Standard', isActive: true, isDefault: true }, { id: 2, name: 'RMM Devices', isActive: true, isDefault: false }],
    products,
    billingCodes: [
      { id: 29682790, name: 'Hardware', isActive: true, useType: 3 },
      { id: 29682791, name: 'Retired Code', isActive: false, useType: 3 },
    ],
    contacts: [
      { id: 45000, companyID: first.id, firstName: 'Tim', lastName: 'Bowers', emailAddress: 'tbowers@alpine.example', isActive: true },
      { id: 45001, companyID: first.id, firstName: 'Jane', lastName: 'Doe', emailAddress: 'jane@alpine.example', isActive: true },
      { id: 45002, companyID: first.id, firstName: 'Old', lastName: 'Account', emailAddress: 'old@alpine.example', isActive: false },
    ],
    companyLocations,
    configurationItemUdfs: [
      { name: 'Platform Device ID', dataType: 'string', length: 100, isRequired: false, isProtected: false },
      { name: 'Platform Device Link', dataType: 'string', length: 1000, isRequired: false, isProtected: false },
      { name: 'Backup Plan', dataType: 'string', length: 100, isRequired: false, isProtected: false },
      { name: 'Warranty Start', dataType: 'datetime', length: 0, isRequired: false, isProtected: false },
    ],
  };
}

const pick = (value: number, label: string, extra: Partial<PicklistValue> = {}): PicklistValue => ({
  value: String(value),
  label,
  isActive: true,
  isSystem: false,
  isDefaultValue: false,
  sortOrder: value,
  parentValue: '',
  ...extra,
});

export const SEED_CREDENTIALS = {
  apiUser: 'psa-sync-api@contoso-msp.example',
  secret: 'Qm9ndXMtc2VjcmV0LWZvci1zaW0',
  integrationCode: 'SIMTRACKINGIDENTIFIER000001',
} as const;

/** The current billing period every seeded contract service is in. */
export function currentPeriod(): { startDate: string; endDate: string } {
  const now = new Date();
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0, 23, 59, 59));
  return { startDate: start.toISOString(), endDate: end.toISOString() };
}

export function createSeed(options: SeedOptions = {}): AutotaskSeed {
  const companies: Company[] = [{ id: 0, companyName: 'Contoso MSP (owner)', companyType: 4, isActive: true }];
  const names = ['Alpine', 'Birch', 'Cedar', 'Delta', 'Ember', 'Fjord', 'Granite', 'Harbor', 'Iris', 'Juniper', 'Kestrel', 'Linden', 'Maple'];
  for (let i = 0; i < 65; i += 1) {
    companies.push({ id: 1000 + i, companyName: `${names[i % names.length]} ${['Dental', 'Legal', 'Logistics', 'Clinic', 'Foods'][i % 5]} ${Math.floor(i / 13) + 1}`, companyType: 1, isActive: true });
  }
  [...(options.awkwardCompanies ? AWKWARD_COMPANY_NAMES : []), ...generatedCompanyNames(options.extraCompanies ?? 0)].forEach((name, i) => {
    companies.push({ id: 1100 + i, companyName: name, companyType: 1, isActive: true });
  });
  const services: Service[] = [
    { id: 501, name: 'Cloud Backup - Microsoft 365 (per user)', description: 'SaaS backup seat', isActive: true, unitPrice: 3.5 },
    { id: 502, name: 'Cloud Backup - Google Workspace (per user)', description: 'SaaS backup seat', isActive: true, unitPrice: 3 },
    { id: 503, name: 'Cloud Backup - Archive (per mailbox)', description: 'Archive seat', isActive: true, unitPrice: 1.5 },
    { id: 504, name: 'Legacy Backup (retired)', description: 'retired', isActive: false, unitPrice: 2 },
  ];
  const contracts: Contract[] = [];
  const contractServices: ContractService[] = [];
  const units: ContractServiceUnit[] = [];
  const period = currentPeriod();
  for (let i = 0; i < 20; i += 1) {
    const company = companies[1 + i] as Company;
    const contractId = 7000 + i;
    contracts.push({ id: contractId, companyID: company.id, contractName: `${company.companyName} - Managed Services`, contractType: 7, status: 1 });
    const service = services[i % 3] as Service;
    const csId = 9000 + i;
    contractServices.push({ id: csId, contractID: contractId, serviceID: service.id, invoiceDescription: service.name, unitPrice: service.unitPrice });
    units.push({ id: 30000 + i, contractID: contractId, contractServiceID: csId, serviceID: service.id, ...period, units: 10 + i });
  }
  return {
    apiUser: { userName: SEED_CREDENTIALS.apiUser, secret: SEED_CREDENTIALS.secret, integrationCode: SEED_CREDENTIALS.integrationCode, resourceId: 29682885 },
    technician: { id: 29682901, userName: 'tech@contoso-msp.example', firstName: 'Tess', lastName: 'Tech', isActive: true },
    picklists: {
      queueID: [pick(29683479, 'Client Portal'), pick(29683481, 'Post Sale'), pick(29683482, 'Monitoring Alert'), pick(8, 'Level I Support'), pick(9, 'Old Queue', { isActive: false })],
      status: [pick(1, 'New', { isDefaultValue: true, isSystem: true }), pick(8, 'In Progress'), pick(7, 'Waiting Customer'), pick(12, 'Escalated'), pick(5, 'Complete', { isSystem: true })],
      priority: [pick(4, 'P1 Critical'), pick(1, 'High'), pick(2, 'Medium', { isDefaultValue: true }), pick(3, 'Low')],
      issueType: [pick(10, 'Backup'), pick(11, 'Email'), pick(12, 'Hardware')],
      subIssueType: [
        pick(201, 'Backup failed', { parentValue: '10' }),
        pick(202, 'Backup overdue', { parentValue: '10' }),
        pick(203, 'Seats above plan', { parentValue: '10' }),
        pick(211, 'Mailbox unreachable', { parentValue: '11' }),
        pick(221, 'Disk failure', { parentValue: '12' }),
      ],
      serviceLevelAgreementID: [pick(1, 'Standard SLA'), pick(2, 'Premium SLA')],
    },
    companies,
    services,
    contracts,
    contractServices,
    units,
    ...inventorySeed(companies),
  };
}

/** Valid mapping values from the default seed (what a partner would pick in the portal). */
export const SEED_FIXTURES = {
  ticketMapping: { queue: '29683482', status: '1', closedStatus: '5', priority: '2', issueType: '10', subIssueType: '201', sla: '1' },
  planMapping: { service: '501' },
  organization: { company: '1000', contract: '7000', contractService: '9000' },
  initialQuantity: 10,
} as const;
