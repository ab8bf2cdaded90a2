/**
 * In-memory records of the HaloPSA simulator. Field names follow Halo's API models (snake-ish,
 * lower case) so the JSON the routes return looks like what Halo sends.
 */

/** Role permissions the integration's setup guide asks for. */
export type HaloRight = 'tickets' | 'customers' | 'softwarelicensing' | 'suppliers' | 'assets' | 'users';

export interface SimApplication {
  client_id: string;
  client_secret: string;
  name: string;
  active: boolean;
  /** Login type "Agent": the agent the application acts as. */
  agent_id: number;
}

export interface SimAgent {
  id: number;
  name: string;
  email: string;
  isapiagent: boolean;
  inactive: boolean;
}

export interface SimTicketType {
  id: number;
  name: string;
  group_id: number;
  default_sla: number;
  initial_status: number;
  visible: boolean;
  inactive: boolean;
  agentscanselect: boolean;
}

export interface SimStatus {
  id: number;
  name: string;
  shortname: string;
  sequence: number;
  colour: string;
  /** Closed statuses; not a documented field, so only `excludeclosed` reveals it. */
  closed: boolean;
}

export interface SimSla {
  id: number;
  name: string;
  workday_id: number;
}

/** One row per (SLA, priority): Halo's "Policy". */
export interface SimPriority {
  id: string;
  slaid: number;
  priorityid: number;
  name: string;
  fixtime: number;
  fixunits: string;
  responsetime: number;
  responseunits: string;
  colour: string;
  ishidden: boolean;
}

export interface SimClient {
  id: number;
  name: string;
  toplevel_id: number;
  toplevel_name: string;
  inactive: boolean;
  main_site_id: number;
  accountsid: string;
}

export interface SimLicence {
  id: number;
  type: number;
  name: string;
  count: number;
  client_id: number;
  site_id: number;
  start_date: string;
  end_date: string;
  billing_cycle: string;
  term_duration: string;
  status: string;
  autorenew: boolean;
  is_active: boolean;
  price: number;
  purchase_price: number;
  vendor: string;
  distributor: string;
  product_sku: string;
  licences_in_use: number;
}

export interface SimSupplier {
  id: number;
  name: string;
}

export interface SimItem {
  id: number;
  name: string;
  baseprice: number;
  supplier_id: number;
}

export interface SimOutcome {
  id: number;
  outcome: string;
}

export interface SimTicket {
  id: number;
  summary: string;
  details: string;
  details_html: string;
  status_id: number;
  tickettype_id: number;
  sla_id: number;
  priority_id: number;
  client_id: number;
  client_name: string;
  site_id: number;
  user_id: number;
  user_name: string;
  agent_id: number;
  team: string;
  third_party_id: string | null;
  reference: string | null;
  source: number;
  dateoccurred: string;
  datecreated: string;
  dateclosed: string | null;
  hasbeenclosed: boolean;
  lastactiondate: string;
  timetaken: number;
}

export interface SimAction {
  id: number;
  ticket_id: number;
  outcome_id: number;
  outcome: string;
  who: string;
  who_agentid: number;
  who_type: number;
  note: string;
  note_html: string;
  hiddenfromuser: boolean;
  actiondatecreated: string;
  new_status: number | null;
  timetaken: number;
  /** Logged by Halo itself (ticket logged, status changes); `excludesys=true` hides these. */
  systemaction: boolean;
}

export interface SimWebhook {
  id: string;
  name: string;
  url: string;
  method: string;
  content_type: string;
  authentication_type: string;
  basic_username: string;
  basic_password: string;
  active: boolean;
  /** Event names, compared case-insensitively. */
  events: string[];
  payload_type: string;
}

export interface SimTopLevel {
  id: number;
  name: string;
}

export interface SimSite {
  id: number;
  name: string;
  client_id: number;
  client_name: string;
  inactive: boolean;
  last_modified: string;
}

export interface SimUser {
  id: number;
  name: string;
  firstname: string;
  surname: string;
  emailaddress: string;
  /** Network login where Halo has one (imported from Azure / CSP). */
  login: string;
  client_id: number;
  site_id: number;
  inactive: boolean;
}

export interface SimAssetGroup {
  id: number;
  name: string;
}

/** A field of asset types (the "asset fields" a device mapping can target). */
export interface SimAssetField {
  id: number;
  name: string;
}

export interface SimAssetType {
  id: number;
  name: string;
  assetgroup_id: number;
  inactive: boolean;
  /** The field whose value is the asset's display name. */
  keyfield_id: number;
  field_ids: number[];
}

/** A custom field defined for assets. */
export interface SimAssetCustomField {
  id: number;
  name: string;
  label: string;
  /** 0 text, 1 memo, 3 date, 4 numeric (as Halo's `type`). */
  type: number;
}

export interface SimAsset {
  id: number;
  inventory_number: string;
  key_field: string;
  client_id: number;
  site_id: number;
  assettype_id: number;
  status_id: number;
  inactive: boolean;
  username: string;
  users: { id: number; name: string }[];
  notes: string;
  warranty_start: string | null;
  warranty_end: string | null;
  warranty_note: string;
  third_party_id_string: string | null;
  /** Asset-field values by field id. */
  fields: Record<number, string>;
  /** Custom-field values by custom field id. */
  customfields: Record<number, string | null>;
  datecreated: string;
  last_modified: string;
}

export interface HaloSimData {
  /** Our integration's application. */
  application: SimApplication;
  /** The tenant's other API applications (other tools), each logging in as its own agent. */
  otherApplications: SimApplication[];
  agents: SimAgent[];
  rights: Record<HaloRight, boolean>;
  /** Rights the role holds as "Read Only": reads pass, writes answer 403. */
  readOnly: Partial<Record<HaloRight, boolean>>;
  ticketTypes: SimTicketType[];
  statuses: SimStatus[];
  slas: SimSla[];
  priorities: SimPriority[];
  clients: SimClient[];
  licences: SimLicence[];
  suppliers: SimSupplier[];
  items: SimItem[];
  outcomes: SimOutcome[];
  tickets: SimTicket[];
  actions: SimAction[];
  webhooks: SimWebhook[];
  topLevels: SimTopLevel[];
  sites: SimSite[];
  users: SimUser[];
  assetGroups: SimAssetGroup[];
  assetFields: SimAssetField[];
  assetTypes: SimAssetType[];
  assetCustomFields: SimAssetCustomField[];
  assets: SimAsset[];
  nextId: { ticket: number; action: number; licence: number; asset?: number; client?: number; site?: number; assettype?: number };
}
