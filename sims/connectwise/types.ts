/**
 * In-memory records of the ConnectWise Manage simulator. Shapes follow the 2022.1+ OpenAPI
 * models (CWR `ManageTypes.ts`): references are `{ id, name|identifier, _info }` objects and
 * every record carries `_info` with audit fields.
 */
export type Info = Record<string, string>;

export interface Ref {
  id: number;
  name?: string;
  identifier?: string;
  _info?: Info;
}

/** Security-role modules the simulator enforces (System > Security Roles in the PSA). */
export const MODULES = [
  'Service Desk > Service Tickets',
  'Service Desk > Close Service Tickets',
  'Companies > Company Maintenance',
  'Companies > Configurations',
  'Companies > Contacts',
  'Finance > Agreements',
  'Procurement > Product Catalog',
  'System > Table Setup',
] as const;
export type Module = (typeof MODULES)[number];
export type AccessLevel = 'inquire' | 'add' | 'edit' | 'delete';

export interface Member {
  id: number;
  identifier: string;
  name: string;
  /** API members authenticate with a key pair; technicians only appear as note authors. */
  publicKey?: string;
  privateKey?: string;
  inactiveFlag: boolean;
  rights: Map<Module, Set<AccessLevel>>;
}

export interface Board {
  id: number;
  name: string;
  inactiveFlag: boolean;
  projectFlag: boolean;
  _info: Info;
}

export interface BoardStatus {
  id: number;
  name: string;
  board: Ref;
  sortOrder: number;
  inactive: boolean;
  closedStatus: boolean;
  defaultFlag: boolean;
  escalationStatus: string;
  _info: Info;
}

/** Types, subtypes and items share one shape (BoardType / BoardSubType / BoardItem). */
export interface BoardChild {
  id: number;
  name: string;
  board: Ref;
  inactiveFlag: boolean;
  defaultFlag?: boolean;
  category?: 'Reactive' | 'Proactive';
  _info: Info;
}

export interface Priority {
  id: number;
  name: string;
  color: string;
  sortOrder: number;
  defaultFlag: boolean;
  _info: Info;
}

export interface Sla {
  id: number;
  name: string;
  basedOn: 'MyCalendar' | 'Customer' | 'AllHours' | 'Custom';
  defaultFlag: boolean;
  respondHours: number;
  resolutionHours: number;
  _info: Info;
}

export interface Company {
  id: number;
  identifier: string;
  name: string;
  status: Ref;
  types: Ref[];
  deletedFlag: boolean;
  _info: Info;
}

export interface Agreement {
  id: number;
  name: string;
  type: Ref;
  company: Ref;
  startDate: string;
  endDate: string | null;
  noEndingDateFlag: boolean;
  cancelledFlag: boolean;
  agreementStatus: 'Active' | 'Cancelled' | 'Expired' | 'Inactive';
  billingCycle: Ref;
  _info: Info;
}

/** `GET /finance/agreements/types` (Setup Tables > Agreement Type). */
export interface AgreementType {
  id: number;
  name: string;
  defaultFlag: boolean;
  inactiveFlag: boolean;
}

export interface Addition {
  id: number;
  agreementId: number;
  product: Ref;
  quantity: number;
  lessIncluded: number;
  unitPrice: number;
  unitCost: number;
  billCustomer: 'Billable' | 'DoNotBill' | 'NoCharge';
  effectiveDate: string;
  cancelledDate: string | null;
  description: string;
  invoiceDescription: string;
  uom: string;
  extPrice: number;
  agreementStatus: string;
  _info: Info;
}

export interface Category {
  id: number;
  name: string;
  inactiveFlag: boolean;
  _info: Info;
}

export interface SubCategory {
  id: number;
  name: string;
  category: Ref;
  inactiveFlag: boolean;
  _info: Info;
}

export interface ProductType {
  id: number;
  name: string;
  typeXref: string;
  inactiveFlag: boolean;
  _info: Info;
}

export interface CatalogItem {
  id: number;
  identifier: string;
  description: string;
  customerDescription: string;
  category: Ref;
  subcategory: Ref;
  type: Ref;
  productClass: 'Agreement' | 'Bundle' | 'Inventory' | 'NonInventory' | 'Service';
  price: number;
  cost: number;
  inactiveFlag: boolean;
  recurringFlag: boolean;
  _info: Info;
}

export interface Ticket {
  id: number;
  summary: string;
  recordType: 'ServiceTicket';
  board: Ref;
  status: Ref;
  company: Ref;
  type?: Ref;
  subType?: Ref;
  item?: Ref;
  priority?: Ref;
  sla?: Ref;
  agreement?: Ref;
  owner?: Ref;
  externalXRef?: string;
  resources?: string;
  actualHours: number;
  closedFlag: boolean;
  closedDate?: string;
  closedBy?: string;
  customFields: unknown[];
  _info: Info;
}

export interface TicketNote {
  id: number;
  ticketId: number;
  text: string;
  detailDescriptionFlag: boolean;
  internalAnalysisFlag: boolean;
  resolutionFlag: boolean;
  member: Ref | null;
  createdBy: string;
  dateCreated: string;
  _info: Info;
}

export interface Callback {
  id: number;
  description: string;
  url: string;
  objectId: number;
  type: string;
  level: string;
  memberId: number;
  payloadVersion: string;
  inactiveFlag: boolean;
  isSelfSuppressedFlag: boolean;
  _info: Info;
}

/** `company/configurations/types` (CompanyConfigurationType). */
export interface ConfigurationType {
  id: number;
  name: string;
  inactiveFlag: boolean;
  systemFlag: boolean;
  _info: Info;
}

/** `company/configurations/types/{id}/questions`: what a configuration of that type answers. */
export interface ConfigurationTypeQuestion {
  id: number;
  typeId: number;
  question: string;
  fieldType: 'Text' | 'Checkbox' | 'Date' | 'Number';
  sequenceNumber: number;
  requiredFlag: boolean;
  inactiveFlag: boolean;
}

/** `company/configurations/statuses`: the record says `description`, references say `name`. */
export interface ConfigurationStatus {
  id: number;
  description: string;
  closedFlag: boolean;
  defaultFlag: boolean;
  _info: Info;
}

export interface ConfigurationCustomField {
  id: number;
  caption: string;
  type: 'Text' | 'Date' | 'Number' | 'Checkbox';
  entryMethod: 'EntryField';
  numberOfDecimals: number;
  value: string | number | boolean | null;
}

/** `company/configurations` (CompanyConfiguration); every optional field is present, null when unset. */
export interface Configuration {
  id: number;
  name: string;
  type: Ref;
  status: Ref;
  company: Ref;
  site: Ref | null;
  contact: Ref | null;
  deviceIdentifier: string | null;
  serialNumber: string | null;
  modelNumber: string | null;
  tagNumber: string | null;
  manufacturer: Ref | null;
  warrantyExpirationDate: string | null;
  purchaseDate: string | null;
  installationDate: string | null;
  osType: string | null;
  osInfo: string | null;
  ipAddress: string | null;
  macAddress: string | null;
  lastLoginName: string | null;
  activeFlag: boolean;
  billFlag: boolean;
  managementLink: string | null;
  remoteLink: string | null;
  notes: string | null;
  parentConfigurationId: number | null;
  questions: { questionId: number; question: string; answer: string | null; fieldType: string }[];
  customFields: ConfigurationCustomField[];
  _info: Info;
}

export interface CompanySite {
  id: number;
  name: string;
  company: Ref;
  addressLine1: string | null;
  city: string | null;
  primaryAddressFlag: boolean;
  inactiveFlag: boolean;
  _info: Info;
}

export interface Contact {
  id: number;
  firstName: string;
  lastName: string | null;
  company: Ref;
  site: Ref | null;
  inactiveFlag: boolean;
  communicationItems: { type: Ref; value: string; defaultFlag: boolean; communicationType: 'Email' | 'Phone' }[];
  _info: Info;
}

export interface SimData {
  companyId: string;
  companyName: string;
  /** As `/login/companyinfo` reports it, with the trailing slash. */
  codebase: string;
  clientIds: string[];
  members: Member[];
  boards: Board[];
  statuses: BoardStatus[];
  types: BoardChild[];
  subtypes: BoardChild[];
  items: BoardChild[];
  priorities: Priority[];
  slas: Sla[];
  companies: Company[];
  agreements: Agreement[];
  agreementTypes: AgreementType[];
  additions: Addition[];
  categories: Category[];
  subcategories: SubCategory[];
  productTypes: ProductType[];
  catalog: CatalogItem[];
  tickets: Ticket[];
  notes: TicketNote[];
  callbacks: Callback[];
  configurations: Configuration[];
  configurationTypes: ConfigurationType[];
  configurationStatuses: ConfigurationStatus[];
  configurationTypeQuestions: ConfigurationTypeQuestion[];
  /** Custom fields defined for configurations; every configuration carries each one. */
  configurationCustomFields: Omit<ConfigurationCustomField, 'value'>[];
  sites: CompanySite[];
  contacts: Contact[];
  /** Callback signing keys by key id (served at `key_url`). */
  signingKeys: Map<string, string>;
  currentKeyId: string;
  nextId: number;
}
