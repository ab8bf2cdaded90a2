/**
 * Companies in the PSA (ConnectWise company, Autotask Company, HaloPSA client) for organization
 * import: paged listing with the vendor's name search, exact-name lookup, creation, the parents a
 * new company can sit under (HaloPSA top levels) and the sites / locations of a company.
 */
import type { MissingRight } from './configurations';
import type { MappingValues, Page } from './types';

export interface PsaCompany {
  id: string;
  name: string;
  /** ConnectWise company identifier; null elsewhere. */
  identifier: string | null;
  active: boolean;
  /** HaloPSA top level; null elsewhere. */
  parentId: string | null;
}

export interface CompanyDraft {
  name: string;
  /** ConnectWise: the unique identifier (derived from the name when absent). */
  identifier?: string;
  /** HaloPSA: the top level the client goes under (required there, see `traits.parentRequired`). */
  parentId?: string;
  /** Autotask requires a phone number on every company. */
  phone?: string;
}

export interface CreatedCompany {
  company: PsaCompany;
  /** False when an earlier attempt had already made it (found by its exact name or identifier). */
  created: boolean;
}

export interface CompanyListQuery {
  /** The vendor's own name search (a "contains" / "like" match); compare exact names yourself. */
  search?: string;
  includeInactive?: boolean;
  /** HaloPSA: only clients under this top level. */
  parentId?: string;
  cursor?: string | null;
  pageSize?: number;
}

export interface CompanyParent {
  id: string;
  name: string;
}

export interface PsaSite {
  id: string;
  name: string;
  companyId: string;
  primary: boolean;
}

export interface CompanyTraits {
  /** Longest name the PSA stores; longer names are cut to it. */
  nameMax: number;
  /** A new company needs a parent (HaloPSA top level). */
  parentRequired: boolean;
  /** A new company needs a phone number (Autotask). */
  phoneRequired: boolean;
  maxPageSize: number;
}

/** One company whose billing object the organization import looks for. */
export interface BillingRequest {
  companyId: string;
  /** The organization's plan mapping on this connection; null where plans are not mapped. */
  plan: MappingValues | null;
}

export interface BillingProposal {
  /** The whole organization mapping (company + billing object) when exactly one billing object fits; else null. */
  values: MappingValues | null;
  /** How many billing objects fit (0: none yet; more than 1: the partner chooses). */
  fits: number;
}

/** The billing object the organization import makes for a company that has none (see `ensureBilling`). */
export interface BillingSetup {
  companyId: string;
  /** The organization's plan mapping on this connection; null where plans are not mapped (HaloPSA). */
  plan: MappingValues | null;
  /** The plan's name on the platform: the billing object is named after it (`billingObjectName`). */
  planName: string;
  /** The organization's seat count: the quantity a new billing line starts with. */
  seats: number;
  /** ConnectWise: the agreement type's name (default `DEFAULT_AGREEMENT_TYPE`). */
  agreementType?: string;
  /** Autotask: the contract category's label (none when absent). */
  contractCategory?: string;
}

export interface EnsuredBilling {
  /** The whole organization mapping (company + billing object). */
  values: MappingValues;
  /** False when every object was already there (ours from an earlier attempt, found by name). */
  created: boolean;
}

/** ConnectWise agreement type used when the import is not told one. */
export const DEFAULT_AGREEMENT_TYPE = 'Managed Services';

/**
 * The name of the billing object the import makes (agreement, contract, software licence): the
 * plan's name and a marker, so a retried or resumed step finds ours instead of making another.
 */
export function billingObjectName(planName: string, max = 100): string {
  const marker = ' (psa-sync)';
  return `${planName.trim().replace(/\s+/g, ' ').slice(0, Math.max(1, max - marker.length))}${marker}`;
}

export interface PsaCompanies {
  readonly traits: CompanyTraits;
  /**
   * Finds or makes the company's billing object for the plan: ours (named by `billingObjectName`)
   * when an earlier attempt made it, else a new one (ConnectWise agreement + addition of the
   * plan's catalog item, and a billing contact where the company has none; Autotask contract +
   * the plan's contract service; HaloPSA software licence). Never makes a second one.
   */
  ensureBilling(setup: BillingSetup): Promise<EnsuredBilling>;
  /**
   * Ours only: the billing object `ensureBilling` made for this company and plan when it is whole
   * (brought to the seats where the PSA sets them in a separate write), else null; never creates.
   * A resumed step looks here before taking another fitting object.
   */
  findOwnBilling(setup: BillingSetup): Promise<MappingValues | null>;
  /**
   * For each request, the billing object of that company for that plan (ConnectWise agreement
   * addition of the plan's catalog item, Autotask contract service of the plan's service,
   * HaloPSA software licence), answered in bulk: a few calls for many companies.
   */
  proposeBilling(requests: readonly BillingRequest[]): Promise<BillingProposal[]>;
  list(query?: CompanyListQuery): Promise<Page<PsaCompany>>;
  /** Companies whose name equals `name` ignoring case and surrounding spaces (searched server-side, compared here). */
  findByName(name: string): Promise<PsaCompany[]>;
  /**
   * Creates the company, unless one with exactly this name (and, for ConnectWise, identifier) is
   * already there: a create whose answer was lost must not make a second one.
   */
  create(draft: CompanyDraft): Promise<CreatedCompany>;
  /** Where new companies can go (HaloPSA top levels); empty for the others. */
  parents(): Promise<CompanyParent[]>;
  sites(companyId: string): Promise<PsaSite[]>;
  checkRights(): Promise<MissingRight[]>;
  /**
   * The rights `ensureBilling` writes with that the API user lacks (ConnectWise Finance > Agreements
   * Add and Companies > Contacts Add / Inquire, Autotask Contracts Add), found without writing; an
   * import that would make billing objects refuses up front when any is missing. Empty where the
   * connection cannot exist without them (HaloPSA: seat sync writes licences with the same right).
   */
  importBillingRights(): Promise<MissingRight[]>;
}

/** Name equality as the import uses it for "already there": trimmed, inner spaces collapsed, case-insensitive. */
export function sameCompanyName(a: string, b: string): boolean {
  const norm = (s: string) => s.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
  return norm(a) === norm(b);
}

/** `items` in slices of `size` (bulk lookups with an `in` list). */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The proposal for a list of fitting billing objects: values only when there is exactly one. */
export function proposalOf(fitting: readonly MappingValues[]): BillingProposal {
  return fitting.length === 1 ? { values: { ...(fitting[0] as MappingValues) }, fits: 1 } : { values: null, fits: fitting.length };
}
