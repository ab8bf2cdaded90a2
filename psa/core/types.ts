/**
 * The one interface every PSA adapter implements. The engine (activities, lifecycle rules,
 * ticket workflows) only speaks this vocabulary; vendor differences live in each adapter's
 * field specs and HTTP code under `psa/<vendor>/`.
 *
 * Mappings are plain records keyed by field name (`{ company: '12', agreement: '7', … }`),
 * so they can be stored as JSON, validated against the adapter's `FieldSpec`s, and carried
 * through Temporal without classes.
 */
import type { PsaCompanies } from './companies';
import type { ConfigurationOptions, PsaConfigurationItems } from './configurations';
import type { PsaContacts } from './contacts';

export const PSA_KINDS = ['connectwise', 'autotask', 'halopsa'] as const;
export type PsaKind = (typeof PSA_KINDS)[number];

export const PSA_LABELS: Record<PsaKind, string> = {
  connectwise: 'ConnectWise',
  autotask: 'Autotask',
  halopsa: 'HaloPSA',
};

/** Field name → chosen option id. */
export type MappingValues = Record<string, string>;

/** One selectable field of a mapping form. */
export interface FieldSpec {
  /** Stable key, e.g. `board`, `closedStatus`, `contractService`. */
  readonly name: string;
  /** What the portal shows, e.g. "Agreement Addition". */
  readonly label: string;
  /** Fields whose chosen values narrow this field's options (e.g. status depends on board). */
  readonly dependsOn: readonly string[];
  /** `picklist`: an option from `options()`; `boolean`: 'true' | 'false' (HaloPSA "sync seat quantity"). */
  readonly type: 'picklist' | 'boolean';
}

export type MappingKind = 'ticket' | 'plan' | 'organization';

export interface PicklistOption {
  id: string;
  name: string;
  /** Vendor extras the portal may show (e.g. `closed: true` on a status). */
  meta?: Record<string, string | number | boolean | null>;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface OptionsQuery {
  /** Values already chosen for the fields this one depends on. */
  parents?: MappingValues;
  /** Free-text filter on the option name (server-side where the vendor supports it). */
  search?: string;
  cursor?: string | null;
  pageSize?: number;
}

/**
 * What a vendor can do, as data on its adapter factory (and in `psa/capabilities.ts` for pure
 * code): the engine asks these instead of naming vendors. Optional adapter methods
 * (`closeTicketUnread`) are capabilities too, asked by their presence.
 */
export interface VendorCapabilities {
  /** Plans are mapped to a PSA catalog item or service (the plan form has fields). */
  readonly planMapping: boolean;
  /** An organization may be mapped only once its plan is mapped on the same connection. */
  readonly planBeforeOrganization: boolean;
  /** A boolean ticket-mapping field whose 'false' switches seat sync off; null when seat sync always runs. */
  readonly seatSyncSwitch: string | null;
}

/** Rights the integration needs in the PSA (probed by `probePermissions`). */
export const CAPABILITIES = ['tickets', 'companies', 'billing', 'catalog'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface ConnectionInfo {
  /** Human-readable account/site name as the PSA reports it. */
  accountName: string;
  /** Vendor version string where the API exposes one. */
  version: string | null;
  /** Non-secret connection facts to persist (codebase, zone URL, normalised site URL…). */
  site: Record<string, string>;
}

/**
 * Features that work only with rights the integration itself does without: the connect and every
 * re-test name what is missing, and the connection stays usable (the feature refuses up front).
 * `import_billing`: the organization import making billing objects (`createBilling`).
 */
export const OPTIONAL_FEATURES = ['import_billing'] as const;
export type OptionalFeature = (typeof OPTIONAL_FEATURES)[number];

export interface LimitedRight {
  feature: OptionalFeature;
  /** The vendor's name of the right, e.g. "Finance > Agreements (Add)". */
  right: string;
  /** The sentence naming where to add it. */
  detail: string;
}

export interface PermissionReport {
  granted: Capability[];
  /** Each missing capability with a sentence naming the vendor right to add: the connect is refused. */
  missing: { capability: Capability; detail: string }[];
  /** Rights only an optional feature needs: named, the connect goes on. */
  limited: LimitedRight[];
}

export interface TicketDraft {
  /** Our idempotency marker; stored in the vendor's external-reference field and searchable. */
  marker: string;
  title: string;
  description: string;
  /** The organization's mapping (company / customer etc.). */
  organization: MappingValues;
  /** The connection's ticket mapping. */
  ticketMapping: MappingValues;
}

export interface PsaTicket {
  id: string;
  /** Vendor's display number where distinct from id (Autotask T2025…). */
  number: string | null;
  marker: string | null;
  statusId: string;
  closed: boolean;
  /** True once anyone but us has worked on it (notes, time, assignment, status changes). */
  touchedByOthers: boolean;
  /** The PSA's change stamp as this answer left the ticket, where `checkTicket` needs one (HaloPSA); else null. */
  watermark: string | null;
}

/** What one read of the ticket record says (`checkTicket`). */
export interface TicketCheck {
  closed: boolean;
  /** Someone else changed the ticket after our last write (assignment, notes, status, time). */
  touchedByOthers: boolean;
}

/** The answer to one of our writes. */
export interface TicketWrite {
  /** As on `PsaTicket`: the change stamp to pass to the next `checkTicket`. */
  watermark: string | null;
}

/** The answer to `closeTicketUnread`. */
export interface UnreadClose {
  ticket: PsaTicket;
  /** The close's answer showed work nobody had reported, so the ticket was left open. */
  leftOpen: boolean;
}

export interface QuantityChange {
  previous: number;
  current: number;
}

/** What one list pass found for one organization's billing object. */
export interface BillingLine {
  quantity: number;
  /** Vendor facts a write needs, read in the same pass (Autotask: contract and service ids of the period). */
  ref: Record<string, string>;
}

/** The billing object of one organization mapping: billable with its quantity, or broken with why. */
export type BillingState = { state: 'ok'; line: BillingLine } | { state: 'broken'; reason: string };

export interface BillingSnapshot {
  /** One entry per mapping passed in, in the same order. */
  states: BillingState[];
  /** PSA requests the list pass made. */
  calls: number;
}

/** What the health check found of many mappings' PSA companies and contracts / agreements / customers. */
export interface ParentsSnapshot {
  /** One entry per mapping passed in, in the same order: why it is broken, or null when its parents are active. */
  inactive: (string | null)[];
  /** PSA requests the lists made. */
  calls: number;
}

export interface PsaAdapter {
  readonly psa: PsaKind;

  /** Field specs of the three mapping forms; an empty `plan` list means plans are not mapped here. */
  readonly fields: Readonly<Record<MappingKind, readonly FieldSpec[]>>;

  /** Authenticates and reads something cheap. Throws PsaAuthError on bad credentials. */
  testConnection(): Promise<ConnectionInfo>;

  /** Probes each capability the integration needs; never throws for a missing right. */
  probePermissions(): Promise<PermissionReport>;

  /** Options for one field of one mapping form, paged and searchable. */
  options(kind: MappingKind, field: string, query?: OptionsQuery): Promise<Page<PicklistOption>>;

  /** Looks up one chosen option, or null when it does not exist (or not under these parents). */
  option(kind: MappingKind, field: string, id: string, parents?: MappingValues): Promise<PicklistOption | null>;

  findTicketByMarker(marker: string): Promise<PsaTicket | null>;
  createTicket(draft: TicketDraft): Promise<PsaTicket>;
  /** The ticket with its whole history checked for work by others (several reads on some PSAs). */
  getTicket(ticketId: string): Promise<PsaTicket>;
  /**
   * One read of the ticket record: is it closed, and did anyone else change it since our last
   * write (`watermark` is what that write returned)? The record shows only the latest change, so
   * our next write hides earlier work by others: callers check before each write and keep the
   * answer. Throws PsaNotFoundError when the ticket is gone.
   */
  checkTicket(ticketId: string, watermark: string | null): Promise<TicketCheck>;
  addTicketNote(ticketId: string, text: string): Promise<TicketWrite>;
  /**
   * Our note whose text carries `token`, if it exists: after a note whose answer was lost, the
   * retry asks before writing it again (notes have no idempotency key of their own).
   */
  findNote(ticketId: string, token: string): Promise<TicketWrite | null>;
  /** Sets the mapped closed status with `note` (as a resolution where the vendor has one), in as few calls as the PSA allows. */
  closeTicket(ticketId: string, closedStatusId: string, note: string): Promise<PsaTicket>;
  /**
   * Optional: a close without a read before it, for a PSA whose close takes two writes anyway
   * (ConnectWise: the status, then the note). The engine uses it only while the connection's
   * ticket events report every change by others. The write's answer is still searched for work
   * it shows (owner, resources, hours); if there is some, the adapter puts the ticket back to
   * `openStatusId` and writes `note` as a plain note instead.
   */
  closeTicketUnread?(ticketId: string, closedStatusId: string, openStatusId: string, note: string): Promise<UnreadClose>;
  /** Re-opens a closed ticket with the mapped open status (flapping). */
  reopenTicket(ticketId: string, openStatusId: string, note: string): Promise<PsaTicket>;

  /**
   * Asks the PSA to call `url` when a ticket changes (ConnectWise callback, Autotask ticket
   * webhook, HaloPSA webhook), authenticated with `secret` as the vendor does it.
   * Returns the vendor's subscription id for `unsubscribeTicketEvents`.
   */
  subscribeTicketEvents(url: string, secret: string): Promise<string>;
  unsubscribeTicketEvents(subscriptionId: string): Promise<void>;

  /** Billing quantity of the organization's billing object (agreement addition / contract service / licence). */
  getQuantity(organization: MappingValues): Promise<number>;
  /** Sets the billing quantity to an absolute value; Autotask computes the signed adjustment itself. */
  setQuantity(organization: MappingValues, quantity: number): Promise<QuantityChange>;

  /**
   * Billing quantities of many organization mappings in list pages (one pass over the billing
   * objects, never one read per organization), with deleted or inactive billing objects (and, on
   * ConnectWise, the agreements the additions are listed under) reported as broken. Nothing
   * beyond those pages: inactive companies and contracts are `inactiveParents`' job.
   */
  billing(mappings: readonly MappingValues[]): Promise<BillingSnapshot>;
  /**
   * Which mappings' PSA company or contract / customer is inactive or deleted, in lists the
   * billing pass does not need (Autotask: inactive contracts and companies; ConnectWise: the
   * companies; HaloPSA: inactive customers). The health schedule asks this each period, so a
   * reconcile run costs only its billing pages and repairs.
   */
  inactiveParents(mappings: readonly MappingValues[]): Promise<ParentsSnapshot>;
  /** Sets the quantity absolutely in one write, using what `billing` just read (`current`). */
  setBillingQuantity(organization: MappingValues, quantity: number, current: BillingLine): Promise<QuantityChange>;

  /** Devices as PSA configurations (`psa/core/configurations.ts`), with the connection's settings. */
  configurations?(options?: ConfigurationOptions): PsaConfigurationItems;
  /** PSA companies for organization import (`psa/core/companies.ts`). */
  companies?(): PsaCompanies;
  /** PSA contacts for matching a device's last logged-in user (`psa/core/contacts.ts`). */
  contacts?(): PsaContacts;
}
