/**
 * The default HaloPSA tenant: an MSP with 65 active customers (so picklists page), software
 * licences for seat sync, ticket types with their SLAs, SLA-specific priorities, open and closed
 * statuses, a technician and the API agent the application logs in as.
 */
import { AWKWARD_COMPANY_NAMES, generatedCompanyNames } from '../common/company-names';
import type { HaloSimData, SimAsset, SimClient, SimLicence, SimPriority, SimSite, SimStatus } from './types';

export const SEED_CREDENTIALS = {
  clientId: '5b1f0c3e-8d2a-4c7b-9e61-2f4a8b3c7d90',
  clientSecret: 'HaloSimSecret-7Qx2Lm9Vp4Tz',
} as const;

export const API_AGENT_ID = 10;
export const TECHNICIAN_AGENT_ID = 2;
/** Another tool's API application, logging in as the technician: its changes are hers. */
export const TECHNICIAN_APP_CREDENTIALS = { clientId: '9c3d2e1f-4a5b-4c6d-8e7f-0a1b2c3d4e5f', clientSecret: 'HaloSimTechToolSecret-3Rk8' } as const;

/** Valid mapping values inside the default seed (ids as strings, as the engine stores them). */
export const SEED_FIXTURES = {
  ticketMapping: { syncSeatQuantity: 'true', ticketType: '21', sla: '3', priority: '2', status: '1', closedStatus: '9' },
  planMapping: {},
  organization: { customer: '101', softwareLicence: '501' },
  initialQuantity: 25,
  /** A licence that belongs to another customer (102). */
  foreignLicence: '502',
  openStatuses: ['1', '2', '3', '4', '5', '8', '12'],
  closedStatuses: ['9', '10', '11'],
  activeCustomers: 65,
} as const;

const PREFIXES = ['Acme', 'Northwind', 'Contoso', 'Fabrikam', 'Tailspin', 'Woodgrove', 'Litware', 'Adatum', 'Proseware', 'Wingtip', 'Fourth Coffee', 'Alpine', 'Blue Yonder'];
const SUFFIXES = ['Dental', 'Legal', 'Logistics', 'Clinics', 'Accounting'];

export interface SeedOptions {
  /** Adds the awkward import fixtures (`sims/common/company-names.ts`) after the plain customers. */
  awkwardCompanies?: boolean;
  /** Adds this many generated customers (a large tenant for import benchmarks). */
  extraCompanies?: number;
}

/** Inventory fixtures inside the default seed. */
export const INVENTORY_FIXTURES = {
  client: '101',
  site: '1010',
  /** A site of another customer (102). */
  foreignSite: '1020',
  topLevel: '1',
  workstationType: '1',
  serverType: '2',
  inactiveType: '4',
  assetGroup: '1',
  /** Asset fields (of every type here): the display name and the serial number. */
  nameField: '1',
  serialField: '2',
  osField: '3',
  /** Asset custom fields. */
  backupPlanField: '1',
  linkField: '2',
  existing: [
    { id: '9000', name: 'ACME-LT-001', serialNumber: 'SN-AC-0001' },
    { id: '9001', name: 'ACME-LT-002', serialNumber: 'SN-AC-0002' },
  ],
  user: { id: '10101', name: 'Tim Bowers', login: 'tbowers' },
} as const;

const T0 = '2025-06-02T09:00:00';

function inventorySeed(clients: SimClient[]): Pick<HaloSimData, 'topLevels' | 'sites' | 'users' | 'assetGroups' | 'assetFields' | 'assetTypes' | 'assetCustomFields' | 'assets'> {
  const sites: SimSite[] = clients.map((c) => ({ id: c.main_site_id, name: 'Main', client_id: c.id, client_name: c.name, inactive: false, last_modified: T0 }));
  const asset = (id: number, name: string, serial: string): SimAsset => ({
    id, inventory_number: name, key_field: name, client_id: 101, site_id: 1010, assettype_id: 1, status_id: 1, inactive: false, username: '', users: [], notes: '',
    warranty_start: null, warranty_end: null, warranty_note: '', third_party_id_string: null, fields: { 1: name, 2: serial }, customfields: { 1: null, 2: null },
    datecreated: T0, last_modified: T0,
  });
  const user = (id: number, firstname: string, surname: string, login: string, emailaddress: string) => ({
    id, name: `${firstname} ${surname}`.trim(), firstname, surname, emailaddress, login, client_id: 101, site_id: 1010, inactive: false,
  });
  return {
    topLevels: [{ id: 1, name: 'Managed Customers' }, { id: 2, name: 'Prospects' }],
    sites,
    users: [
      user(10100, 'General', 'User', '', ''),
      user(10101, 'Tim', 'Bowers', 'tbowers', 'tim.bowers@acme.example'),
      user(10102, 'Jane', 'Doe', 'jdoe', 'jane.doe@acme.example'),
      user(10103, 'Jane', 'Doe', 'jdoe2', 'jane.doe2@acme.example'),
    ],
    assetGroups: [{ id: 1, name: 'Hardware' }, { id: 2, name: 'Network' }],
    assetFields: ['Device Name', 'Serial Number', 'Operating System', 'Manufacturer', 'Model', 'Last Logged In User'].map((name, i) => ({ id: i + 1, name })),
    assetTypes: [
      { id: 1, name: 'Workstation', assetgroup_id: 1, inactive: false, keyfield_id: 1, field_ids: [1, 2, 3, 4, 5, 6] },
      { id: 2, name: 'Server', assetgroup_id: 1, inactive: false, keyfield_id: 1, field_ids: [1, 2, 3, 4, 5, 6] },
      { id: 3, name: 'Network Switch', assetgroup_id: 2, inactive: false, keyfield_id: 1, field_ids: [1, 2, 4, 5] },
      { id: 4, name: 'Old Type', assetgroup_id: 1, inactive: true, keyfield_id: 1, field_ids: [1, 2] },
    ],
    assetCustomFields: [
      { id: 1, name: 'CFBackupPlan', label: 'Backup Plan', type: 0 },
      { id: 2, name: 'CFPlatformDeviceLink', label: 'Platform Device Link', type: 0 },
      { id: 3, name: 'CFWarrantyChecked', label: 'Warranty Checked', type: 3 },
    ],
    assets: INVENTORY_FIXTURES.existing.map((e) => asset(Number(e.id), e.name, e.serialNumber)),
  };
}

function seedClients(): SimClient[] {
  const clients: SimClient[] = [];
  let id = 101;
  for (const suffix of SUFFIXES) {
    for (const prefix of PREFIXES) {
      clients.push({ id, name: `${prefix} ${suffix}`, toplevel_id: 1, toplevel_name: 'Managed Customers', inactive: false, main_site_id: id * 10, accountsid: `ACC${id}` });
      id += 1;
    }
  }
  clients.push({ id: 190, name: 'Old Mill Bakery (churned)', toplevel_id: 1, toplevel_name: 'Managed Customers', inactive: true, main_site_id: 1900, accountsid: 'ACC190' });
  clients.push({ id: 191, name: 'Zenith Archive (churned)', toplevel_id: 1, toplevel_name: 'Managed Customers', inactive: true, main_site_id: 1910, accountsid: 'ACC191' });
  return clients;
}

function licence(id: number, clientId: number, name: string, count: number, sku: string): SimLicence {
  return {
    id,
    type: 1,
    name,
    count,
    client_id: clientId,
    site_id: clientId * 10,
    start_date: '2025-01-01T00:00:00',
    end_date: '2026-12-31T00:00:00',
    billing_cycle: 'Monthly',
    term_duration: 'P1Y',
    status: 'Active',
    autorenew: true,
    is_active: true,
    price: 3.5,
    purchase_price: 2.1,
    vendor: 'NinjaOne',
    distributor: 'Direct',
    product_sku: sku,
    licences_in_use: Math.max(0, count - 2),
  };
}

function seedLicences(): SimLicence[] {
  const list: SimLicence[] = [];
  let id = 501;
  for (let clientId = 101; clientId <= 125; clientId += 1) {
    const seats = clientId === 101 ? SEED_FIXTURES.initialQuantity : 5 + ((clientId * 7) % 40);
    list.push(licence(id, clientId, 'NinjaOne SaaS Backup - Microsoft 365', seats, 'NJ-SB-M365'));
    id += 1;
  }
  // A second, unrelated licence on the first customers, so the picklist has a choice.
  list.push(licence(id, 101, 'Microsoft 365 Business Premium', 30, 'MS-M365-BP'));
  list.push(licence(id + 1, 101, 'NinjaOne SaaS Backup - Google Workspace', 8, 'NJ-SB-GWS'));
  return list;
}

function seedStatuses(): SimStatus[] {
  const s = (id: number, name: string, shortname: string, sequence: number, colour: string, closed = false): SimStatus => ({ id, name, shortname, sequence, colour, closed });
  return [
    s(1, 'New', 'NEW', 1, '#2f80ed'),
    s(2, 'In Progress', 'INP', 2, '#27ae60'),
    s(3, 'Action Required', 'ACT', 3, '#eb5757'),
    s(4, 'Waiting on Customer', 'WOC', 4, '#f2c94c'),
    s(5, 'Scheduled', 'SCH', 5, '#9b51e0'),
    s(8, 'With Supplier', 'SUP', 6, '#56ccf2'),
    s(12, 'Resolved - Awaiting Confirmation', 'RAC', 7, '#6fcf97'),
    s(9, 'Closed', 'CLO', 8, '#828282', true),
    s(10, 'Resolved', 'RES', 9, '#219653', true),
    s(11, 'Cancelled', 'CAN', 10, '#bdbdbd', true),
  ];
}

function seedPriorities(): SimPriority[] {
  const rows: SimPriority[] = [];
  const add = (slaid: number, priorityid: number, name: string, fixtime: number, responsetime: number, ishidden = false) =>
    rows.push({ id: `${slaid}${String(priorityid).padStart(2, '0')}`, slaid, priorityid, name, fixtime, fixunits: 'h', responsetime, responseunits: 'h', colour: '#333333', ishidden });
  add(1, 1, 'Critical', 4, 1);
  add(1, 2, 'High', 8, 2);
  add(1, 3, 'Medium', 24, 4);
  add(1, 4, 'Low', 72, 8);
  add(2, 1, 'P1 - Critical (24x7)', 2, 0.5);
  add(2, 2, 'P2 - High (24x7)', 4, 1);
  add(2, 3, 'P3 - Normal', 16, 4);
  add(3, 1, 'Alert - Critical', 4, 1);
  add(3, 2, 'Alert - Warning', 24, 4);
  add(3, 3, 'Alert - Informational', 72, 24, true);
  return rows;
}

export function createSeed(options: SeedOptions = {}): HaloSimData {
  const now = '2025-06-02T09:00:00';
  const clients = seedClients();
  [...(options.awkwardCompanies ? AWKWARD_COMPANY_NAMES : []), ...generatedCompanyNames(options.extraCompanies ?? 0)].forEach((name, i) => {
    const id = 200 + i;
    clients.push({ id, name, toplevel_id: 1, toplevel_name: 'Managed Customers', inactive: false, main_site_id: id * 10, accountsid: `ACC${id}` });
  });
  const maxClient = Math.max(...clients.map((c) => c.id));
  return {
    application: { client_id: SEED_CREDENTIALS.clientId, client_secret: SEED_CREDENTIALS.clientSecret, name: 'NinjaOne SaaS Backup', active: true, agent_id: API_AGENT_ID },
    otherApplications: [
      { client_id: TECHNICIAN_APP_CREDENTIALS.clientId, client_secret: TECHNICIAN_APP_CREDENTIALS.clientSecret, name: 'Service desk tools', active: true, agent_id: TECHNICIAN_AGENT_ID },
    ],
    agents: [
      { id: 1, name: 'Halo Admin', email: 'admin@msp.example', isapiagent: false, inactive: false },
      { id: TECHNICIAN_AGENT_ID, name: 'Jane Technician', email: 'jane@msp.example', isapiagent: false, inactive: false },
      { id: 3, name: 'Sam Engineer', email: 'sam@msp.example', isapiagent: false, inactive: false },
      { id: API_AGENT_ID, name: 'API agent', email: 'api@msp.example', isapiagent: true, inactive: false },
    ],
    rights: { tickets: true, customers: true, softwarelicensing: true, suppliers: true, assets: true, users: true },
    readOnly: {},
    ticketTypes: [
      { id: 1, name: 'Incident', group_id: 1, default_sla: 1, initial_status: 1, visible: true, inactive: false, agentscanselect: true },
      { id: 2, name: 'Service Request', group_id: 1, default_sla: 1, initial_status: 1, visible: true, inactive: false, agentscanselect: true },
      { id: 3, name: 'Problem', group_id: 2, default_sla: 2, initial_status: 1, visible: true, inactive: false, agentscanselect: true },
      { id: 4, name: 'Change Request', group_id: 2, default_sla: 2, initial_status: 5, visible: true, inactive: false, agentscanselect: true },
      { id: 21, name: 'Backup Alert', group_id: 3, default_sla: 3, initial_status: 1, visible: true, inactive: false, agentscanselect: true },
      { id: 30, name: 'Legacy Support', group_id: 1, default_sla: -1, initial_status: 1, visible: false, inactive: true, agentscanselect: false },
    ],
    statuses: seedStatuses(),
    slas: [
      { id: 1, name: 'Standard Business Hours', workday_id: 1 },
      { id: 2, name: 'Premium 24x7', workday_id: 2 },
      { id: 3, name: 'Monitoring Alerts', workday_id: 1 },
    ],
    priorities: seedPriorities(),
    clients,
    licences: seedLicences(),
    suppliers: [
      { id: 1, name: 'NinjaOne' },
      { id: 2, name: 'Pax8' },
      { id: 3, name: 'Ingram Micro' },
    ],
    items: [
      { id: 1, name: 'SaaS Backup seat', baseprice: 3.5, supplier_id: 1 },
      { id: 2, name: 'Onboarding (hourly)', baseprice: 120, supplier_id: 1 },
    ],
    outcomes: [
      { id: 1, outcome: 'Email User' },
      { id: 4, outcome: 'Resolved' },
      { id: 7, outcome: 'Internal Note' },
      { id: 8, outcome: 'Update' },
    ],
    tickets: [
      {
        id: 1000, summary: 'Printer offline at front desk', details: 'Printer offline', details_html: '<p>Printer offline</p>', status_id: 2, tickettype_id: 1, sla_id: 1, priority_id: 3,
        client_id: 103, client_name: 'Contoso Dental', site_id: 1030, user_id: 10300, user_name: 'General User', agent_id: TECHNICIAN_AGENT_ID, team: '1st Line',
        third_party_id: null, reference: null, source: 1, dateoccurred: now, datecreated: now, dateclosed: null, hasbeenclosed: false, lastactiondate: now, timetaken: 0.5,
      },
    ],
    actions: [
      {
        id: 5000, ticket_id: 1000, outcome_id: 7, outcome: 'Internal Note', who: 'Jane Technician', who_agentid: TECHNICIAN_AGENT_ID, who_type: 1,
        note: 'Power-cycled, waiting for toner.', note_html: '<p>Power-cycled, waiting for toner.</p>', hiddenfromuser: true, actiondatecreated: now, new_status: null, timetaken: 0.5, systemaction: false,
      },
    ],
    webhooks: [],
    ...inventorySeed(clients),
    nextId: { ticket: 1001, action: 5001, licence: 600, asset: 20000, client: maxClient + 1, site: (maxClient + 1) * 10, assettype: 100 },
  };
}
