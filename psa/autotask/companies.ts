/**
 * Autotask companies for organization import, their locations, and contacts for user matching.
 * A new company needs `companyName`, `companyType` (read from the picklist: "Customer"),
 * `ownerResourceID` (our API user) and `phone`; Autotask allows duplicate names, so a create first
 * looks for a company of exactly that name (made by an attempt whose answer was lost). Company 0
 * is the MSP itself and is never listed. Requests: list = 1 per page (≤500, `contains` search);
 * findByName = 1 per 500 hits; create = 1 lookup + 1 POST (+2 once per adapter: the company-type
 * picklist and our resource id); sites, contacts = 1 per 500.
 */
import { PsaValidationError } from '../core/errors';
import { asPsaError, withRight } from '../core/batch';
import { billingObjectName, chunked, proposalOf, sameCompanyName, type BillingProposal, type BillingRequest, type BillingSetup, type CompanyDraft, type EnsuredBilling, type CompanyListQuery, type CreatedCompany, type PsaCompanies, type PsaCompany, type PsaSite } from '../core/companies';
import { fitText, storableText, type MissingRight } from '../core/configurations';
import type { PsaContact, PsaContacts } from '../core/contacts';
import type { MappingValues, Page } from '../core/types';
import { AT_RIGHTS } from './configurations';
import { MAX_RECORDS, type AutotaskRest, type Filter } from './rest';
import type { Row } from './schemas';

const RIGHT = 'CRM → Company & Contact Access (Add, Edit)';
const BILLING_RIGHT = 'Contracts → View = All, Contract Visibility = Full';
const WHERE = "the API user's security level (Admin → Resources/Users → Security Levels)";
const NAME_MAX = 100;
const ADD_BILLING_RIGHT = 'Contracts → View = All, Add = Yes, Contract Visibility = Full';
const CONTRACT_NAME_MAX = 100;
/** How long a contract the import makes runs (Autotask needs an end date; renewing is the partner's call). */
const CONTRACT_YEARS = 10;

const isId = (v: string | undefined): v is string => v !== undefined && /^\d{1,12}$/.test(v.trim());
const dateOnly = (d: Date) => d.toISOString().slice(0, 10);

const toCompany = (r: Row): PsaCompany => {
  const x = r as Record<string, unknown>;
  return { id: String(r.id), name: String(x.companyName ?? ''), identifier: null, active: x.isActive !== false, parentId: null };
};

/** The longest space-free piece of a name: what a `contains` search narrows by. */
function longestToken(name: string): string {
  return name.split(/\s+/).sort((a, b) => b.length - a.length)[0] ?? '';
}

/** The security-level right the import's contracts and contract services are added with. */
export const CONTRACT_ADD_RIGHT = 'Contracts → Add = Yes';
export const CONTRACT_ADD_MISSING: MissingRight = {
  right: CONTRACT_ADD_RIGHT,
  detail: `The API user's security level needs ${CONTRACT_ADD_RIGHT} (with View = All, Contract Visibility = Full) in ${WHERE} for the import to make contracts and contract services.`,
};

/**
 * Whether the API user may add contracts (`Contracts/entityInformation`, no write): the import's
 * billing objects need it, seat sync does not (it adjusts units of existing contract services).
 */
export async function contractAddMissing(rest: AutotaskRest): Promise<MissingRight[]> {
  const missing = [CONTRACT_ADD_MISSING];
  try {
    return (await rest.access('Contracts')).create ? [] : missing;
  } catch (err) {
    if (asPsaError(err).kind !== 'permission') throw err;
    return missing;
  }
}

export class AutotaskCompanies implements PsaCompanies {
  readonly traits = { nameMax: NAME_MAX, parentRequired: false, phoneRequired: true, maxPageSize: MAX_RECORDS };
  private customerType: Promise<number> | null = null;

  constructor(private readonly rest: AutotaskRest) {}

  async list(query: CompanyListQuery = {}): Promise<Page<PsaCompany>> {
    const filter: Filter[] = [{ op: 'gt', field: 'id', value: 0 }];
    if (!query.includeInactive) filter.push({ op: 'eq', field: 'isActive', value: true });
    const term = storableText(query.search ?? '').trim();
    if (term) filter.push({ op: 'contains', field: 'companyName', value: term });
    const page = await withRight(RIGHT, WHERE, () => this.rest.query('Companies', filter, query.pageSize ?? 100, query.cursor ?? null));
    return { items: page.items.map(toCompany), nextCursor: page.next };
  }

  async findByName(name: string): Promise<PsaCompany[]> {
    const clean = storableText(name).trim();
    const token = longestToken(clean);
    if (!token) return [];
    const rows = await withRight(RIGHT, WHERE, () => this.rest.all('Companies', [{ op: 'gt', field: 'id', value: 0 }, { op: 'contains', field: 'companyName', value: token }]));
    return rows.map(toCompany).filter((c) => sameCompanyName(c.name, clean));
  }

  /**
   * Contracts of all the companies (1 query per 500 companies), then their contract services
   * (1 query per 500 contracts): a contract service fits when it bills the plan's service.
   */
  async proposeBilling(requests: readonly BillingRequest[]): Promise<BillingProposal[]> {
    const ids = [...new Set(requests.map((r) => r.companyId).filter((id) => /^\d{1,12}$/.test(id)))].map(Number);
    const contracts: Row[] = [];
    for (const chunk of chunked(ids, MAX_RECORDS)) contracts.push(...(await withRight(BILLING_RIGHT, WHERE, () => this.rest.all('Contracts', [{ op: 'in', field: 'companyID', value: chunk }]))));
    const services: Row[] = [];
    for (const chunk of chunked(contracts.map((c) => c.id), MAX_RECORDS)) {
      services.push(...(await withRight(BILLING_RIGHT, WHERE, () => this.rest.all('ContractServices', [{ op: 'in', field: 'contractID', value: chunk }]))));
    }
    const field = (r: Row, name: string) => String((r as Record<string, unknown>)[name] ?? '');
    return requests.map((r) => {
      const service = r.plan?.service;
      const own = contracts.filter((c) => field(c, 'companyID') === r.companyId);
      const fitting = own.flatMap((c) =>
        services
          .filter((s) => field(s, 'contractID') === String(c.id) && service !== undefined && field(s, 'serviceID') === service)
          .map((s) => ({ company: r.companyId, contract: String(c.id), contractService: String(s.id) })),
      );
      return proposalOf(fitting);
    });
  }

  /**
   * Our contract (named after the plan) or a new Recurring Service contract of the chosen
   * category, then its contract service of the plan's service or a new one, whose current units
   * are brought to the seat count by one adjustment (the documented way units change). Requests:
   * 1 contract lookup + 1 service lookup + 1 units read; a new contract adds the picklist read
   * (once per adapter) and 1 POST; a new service 1 POST; units that differ 1 adjustment.
   */
  async ensureBilling(setup: BillingSetup): Promise<EnsuredBilling> {
    return (await this.billing(setup, 'ensure')) as EnsuredBilling;
  }

  async findOwnBilling(setup: BillingSetup): Promise<MappingValues | null> {
    return (await this.billing(setup, 'find'))?.values ?? null;
  }

  private async billing(setup: BillingSetup, mode: 'find' | 'ensure'): Promise<EnsuredBilling | null> {
    const service = setup.plan?.service?.trim();
    if (!isId(service)) throw new PsaValidationError('The plan has no Autotask service to bill', { details: ['service: map the plan first'] });
    if (!isId(setup.companyId)) throw new PsaValidationError(`Not an Autotask company id: ${setup.companyId}`, { details: ['companyID'] });
    const companyID = Number(setup.companyId);
    const contractName = billingObjectName(setup.planName, CONTRACT_NAME_MAX);
    let created = false;
    const [found] = await withRight(BILLING_RIGHT, WHERE, () =>
      this.rest.query('Contracts', [{ op: 'eq', field: 'companyID', value: companyID }, { op: 'eq', field: 'contractName', value: contractName }, { op: 'eq', field: 'status', value: 1 }], 1),
    ).then((p) => p.items);
    let contractID = found?.id;
    if (contractID === undefined && mode === 'find') return null;
    if (contractID === undefined) {
      const picks = await this.contractPicklists(setup.contractCategory);
      const start = new Date();
      const end = new Date(start);
      end.setUTCFullYear(end.getUTCFullYear() + CONTRACT_YEARS);
      const body = {
        companyID, contractName, contractType: picks.recurringService, status: 1, startDate: dateOnly(start), endDate: dateOnly(end), isDefaultContract: false,
        ...(picks.category !== null ? { contractCategory: picks.category } : {}),
      };
      contractID = await withRight(ADD_BILLING_RIGHT, WHERE, () => this.rest.create('Contracts', body));
      created = true;
    }
    const contract = contractID;
    const [existing] = await withRight(BILLING_RIGHT, WHERE, () =>
      this.rest.query('ContractServices', [{ op: 'eq', field: 'contractID', value: contract }, { op: 'eq', field: 'serviceID', value: Number(service) }], 1),
    ).then((p) => p.items);
    let contractServiceID = existing?.id;
    if (contractServiceID === undefined && mode === 'find') return null;
    if (contractServiceID === undefined) {
      contractServiceID = await withRight(ADD_BILLING_RIGHT, WHERE, () => this.rest.createChild('Contracts', contract, 'Services', { contractID: contract, serviceID: Number(service) }));
      created = true;
    }
    await this.openUnits(contract, contractServiceID, Number(service), Math.max(0, Math.trunc(setup.seats)));
    return { values: { company: setup.companyId, contract: String(contract), contractService: String(contractServiceID) }, created };
  }

  /**
   * Brings our contract service's current units to the seats with one adjustment of the
   * difference (adjustments are relative, so the units are read first: a retry after a lost
   * answer adjusts by what is left, never twice). Nothing is sent when they already match.
   */
  private async openUnits(contractID: number, contractServiceID: number, serviceID: number, seats: number): Promise<void> {
    const rows = await withRight(BILLING_RIGHT, WHERE, () => this.rest.query('ContractServiceUnits', [{ op: 'eq', field: 'contractServiceID', value: contractServiceID }], MAX_RECORDS));
    const now = new Date().toISOString();
    const period = rows.items.map((r) => r as Record<string, unknown>).find((u) => String(u.startDate ?? '') <= now && String(u.endDate ?? '') >= now);
    if (!period) return;
    const delta = seats - Number(period.units ?? 0);
    if (delta === 0) return;
    await withRight(ADD_BILLING_RIGHT, WHERE, () =>
      this.rest.create('ContractServiceAdjustments', { contractID, contractServiceID, serviceID, effectiveDate: dateOnly(new Date()), unitChange: delta }),
    );
  }

  private picklists: Promise<{ types: { value: string; label: string }[]; categories: { value: string; label: string }[] }> | null = null;

  /** The Recurring Service contract type and the category labelled `category` (the Contracts picklists, read once per adapter). */
  private async contractPicklists(category: string | undefined): Promise<{ recurringService: number; category: number | null }> {
    this.picklists ??= this.rest.fields('Contracts').then((fields) => {
      const active = (name: string) => (fields.find((f) => f.name.toLowerCase() === name)?.picklistValues ?? []).filter((v) => v.isActive !== false).map((v) => ({ value: v.value, label: v.label }));
      return { types: active('contracttype'), categories: active('contractcategory') };
    });
    this.picklists.catch(() => (this.picklists = null));
    const { types, categories } = await this.picklists;
    const recurring = types.find((t) => t.label.toLowerCase() === 'recurring service');
    if (!category?.trim()) return { recurringService: recurring ? Number(recurring.value) : 7, category: null };
    const hit = categories.find((c) => c.label.trim().toLowerCase() === category.trim().toLowerCase());
    if (!hit) {
      const known = categories.map((c) => `"${c.label}"`).join(', ') || 'none';
      throw new PsaValidationError(`Autotask has no active contract category "${category}"`, { details: [`contractCategory: "${category}" is not one of ${known}`] });
    }
    return { recurringService: recurring ? Number(recurring.value) : 7, category: Number(hit.value) };
  }

  /** The "Customer" value of the companyType picklist (1 where the picklist does not say). */
  private customer(): Promise<number> {
    this.customerType ??= this.rest.fields('Companies').then((fields) => {
      const values = fields.find((f) => f.name.toLowerCase() === 'companytype')?.picklistValues ?? [];
      const hit = values.find((v) => v.label.toLowerCase() === 'customer' && v.isActive !== false);
      return hit ? Number(hit.value) : 1;
    });
    this.customerType.catch(() => (this.customerType = null));
    return this.customerType;
  }

  async create(draft: CompanyDraft): Promise<CreatedCompany> {
    const name = fitText(draft.name.trim().replace(/\s+/g, ' '), NAME_MAX);
    if (!name) throw new PsaValidationError('A company needs a name', { details: ['companyName'] });
    const phone = fitText((draft.phone ?? '').trim(), 25);
    if (!phone) throw new PsaValidationError('Autotask needs a phone number for a new company', { details: ['phone is required'] });
    const existing = await this.findByName(name);
    if (existing.length > 0) return { company: existing[0] as PsaCompany, created: false };
    const owner = await this.rest.ownResourceId();
    if (owner === null) throw new PsaValidationError('The Autotask API user has no resource record to own new companies', { details: ['ownerResourceID'] });
    const body = { companyName: name, companyType: await this.customer(), ownerResourceID: owner, phone, isActive: true };
    const id = await withRight(RIGHT, WHERE, () => this.rest.create('Companies', body));
    return { company: { id: String(id), name, identifier: null, active: true, parentId: null }, created: true };
  }

  async parents(): Promise<never[]> {
    return [];
  }

  async sites(companyId: string): Promise<PsaSite[]> {
    if (!/^\d{1,12}$/.test(companyId)) return [];
    const rows = await withRight(RIGHT, WHERE, () =>
      this.rest.all('CompanyLocations', [{ op: 'eq', field: 'companyID', value: Number(companyId) }, { op: 'eq', field: 'isActive', value: true }]),
    );
    return rows.map((r) => {
      const x = r as Record<string, unknown>;
      return { id: String(r.id), name: String(x.name ?? ''), companyId, primary: x.isPrimary === true };
    });
  }

  async importBillingRights(): Promise<MissingRight[]> {
    return contractAddMissing(this.rest);
  }

  async checkRights(): Promise<MissingRight[]> {
    try {
      await this.rest.query('Companies', [], 1);
      return [];
    } catch (err) {
      if (asPsaError(err).kind !== 'permission') throw err;
      return [{ right: RIGHT, detail: `The API user's security level needs ${RIGHT} to list and create companies.` }];
    }
  }
}

export class AutotaskContacts implements PsaContacts {
  constructor(private readonly rest: AutotaskRest) {}

  async listForCompany(companyId: string): Promise<PsaContact[]> {
    if (!/^\d{1,12}$/.test(companyId)) return [];
    const rows = await withRight(AT_RIGHTS.contacts, WHERE, () =>
      this.rest.all('Contacts', [{ op: 'eq', field: 'companyID', value: Number(companyId) }, { op: 'eq', field: 'isActive', value: true }]),
    );
    return rows.map((r) => {
      const x = r as Record<string, unknown>;
      return {
        id: String(r.id),
        companyId,
        name: [x.firstName, x.lastName].filter((v) => typeof v === 'string' && v).join(' '),
        email: typeof x.emailAddress === 'string' && x.emailAddress ? x.emailAddress : null,
        login: null,
        active: x.isActive !== false,
      };
    });
  }
}
