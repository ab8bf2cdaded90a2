/**
 * HaloPSA customers ("clients") for organization import: paged listing with Halo's `search`
 * ("like" match; exact names are compared here), creation under a top level (`POST /Client`,
 * which also makes the customer's main site), top levels, sites, and users for user matching.
 * A create first looks for a customer of exactly that name under that top level, so a create
 * whose answer was lost is not made twice. Requests: list = 1 per page (≤100); findByName = 1 per
 * 100 hits; create = 1 lookup + 1 POST; parents, sites = 1; contacts = 1 per 100 users.
 */
import { PsaValidationError } from '../core/errors';
import { asPsaError, withRight } from '../core/batch';
import { billingObjectName, proposalOf, sameCompanyName, type BillingProposal, type BillingRequest, type BillingSetup, type CompanyDraft, type EnsuredBilling, type CompanyListQuery, type CompanyParent, type CreatedCompany, type PsaCompanies, type PsaCompany, type PsaSite } from '../core/companies';
import { fitText, storableText, type MissingRight } from '../core/configurations';
import type { PsaContact, PsaContacts } from '../core/contacts';
import type { MappingValues, Page } from '../core/types';
import type { HaloApi } from './client';
import { haloUsersOf } from './configurations';
import { clientRecordSchema, siteSchema, topLevelSchema } from './inventory-schemas';
import { licenceSchema } from './schemas';

const RIGHT = 'Customers Access Level: Read and Modify';
const LICENCE_RIGHT = 'Software Licensing access (Configuration > Asset Management > Software Licencing)';
const WHERE = "the HaloPSA API agent's role (Configuration > Teams & Agents > Roles)";
const PAGE = 100;
const NAME_MAX = 255;
const LICENCE_NAME_MAX = 255;

type Client = ReturnType<typeof clientRecordSchema.parse>;
const toCompany = (c: Client): PsaCompany => ({ id: c.id, name: c.name, identifier: null, active: c.inactive !== true, parentId: c.toplevel_id ?? null });
const isId = (v: string) => /^\d{1,12}$/.test(v);

export class HaloCompanies implements PsaCompanies {
  readonly traits = { nameMax: NAME_MAX, parentRequired: true, phoneRequired: false, maxPageSize: PAGE };

  constructor(
    private readonly api: HaloApi,
    private readonly ensureAuth: () => Promise<unknown>,
  ) {}

  async list(query: CompanyListQuery = {}): Promise<Page<PsaCompany>> {
    const pageNo = query.cursor && /^\d+$/.test(query.cursor) ? Number(query.cursor) : 1;
    const size = Math.min(Math.max(1, query.pageSize ?? PAGE), PAGE);
    const term = storableText(query.search ?? '').trim();
    const res = await withRight(RIGHT, WHERE, () =>
      this.api.list('Client', 'clients', clientRecordSchema, {
        pageinate: true,
        page_size: size,
        page_no: pageNo,
        ...(term ? { search: term, search_name_only: true } : {}),
        ...(query.includeInactive ? { includeinactive: true } : {}),
        ...(query.parentId && isId(query.parentId) ? { toplevel_id: query.parentId } : {}),
      }),
    );
    const more = res.recordCount === null ? res.items.length === size : pageNo * size < res.recordCount;
    return { items: res.items.map(toCompany), nextCursor: more && res.items.length ? String(pageNo + 1) : null };
  }

  async findByName(name: string): Promise<PsaCompany[]> {
    const clean = storableText(name).trim();
    if (!clean) return [];
    const out: PsaCompany[] = [];
    for (let cursor: string | null = '1'; cursor; ) {
      const page: Page<PsaCompany> = await this.list({ search: clean, includeInactive: true, cursor });
      out.push(...page.items);
      cursor = page.nextCursor;
    }
    return out.filter((c) => sameCompanyName(c.name, clean));
  }

  async create(draft: CompanyDraft): Promise<CreatedCompany> {
    const name = fitText(draft.name.trim().replace(/\s+/g, ' '), NAME_MAX);
    if (!name) throw new PsaValidationError('A customer needs a name', { details: ['name'] });
    if (!draft.parentId || !isId(draft.parentId)) throw new PsaValidationError('A new HaloPSA customer needs the top level to go under', { details: ['toplevel_id'] });
    const existing = (await this.findByName(name)).find((c) => c.parentId === null || c.parentId === draft.parentId);
    if (existing) return { company: existing, created: false };
    await this.ensureAuth();
    const saved = await withRight(RIGHT, WHERE, () => this.api.upsert('Client', { name, toplevel_id: Number(draft.parentId) }, { idempotent: false }));
    return { company: toCompany(clientRecordSchema.parse(saved)), created: true };
  }

  /**
   * Every active software licence, paged (1 request per 100 licences, whatever the number of
   * customers); a customer's licence fits when it is its only one. Plans are not mapped here.
   */
  async proposeBilling(requests: readonly BillingRequest[]): Promise<BillingProposal[]> {
    if (requests.length === 0) return [];
    const byCustomer = new Map<string, string[]>();
    for (let pageNo = 1; ; pageNo += 1) {
      const res = await withRight(LICENCE_RIGHT, WHERE, () => this.api.list('SoftwareLicence', 'licences', licenceSchema, { pageinate: true, page_size: PAGE, page_no: pageNo }));
      for (const l of res.items) {
        if (l.is_active === false || !l.client_id) continue;
        byCustomer.set(l.client_id, [...(byCustomer.get(l.client_id) ?? []), l.id]);
      }
      const more = res.recordCount === null ? res.items.length === PAGE : pageNo * PAGE < res.recordCount;
      if (!more || res.items.length === 0) break;
    }
    return requests.map((r) => proposalOf((byCustomer.get(r.companyId) ?? []).map((id) => ({ customer: r.companyId, softwareLicence: id }))));
  }

  /**
   * The customer's active licence named after the plan (ours from an earlier attempt) or a new
   * one for the seats. Requests: 1 lookup (Halo's `search` narrows, the exact name is compared
   * here) + 1 POST when it is new.
   */
  async findOwnBilling(setup: BillingSetup): Promise<MappingValues | null> {
    if (!isId(setup.companyId)) throw new PsaValidationError(`Not a HaloPSA customer id: ${setup.companyId}`, { details: ['client_id'] });
    const name = billingObjectName(setup.planName, LICENCE_NAME_MAX);
    const res = await withRight(LICENCE_RIGHT, WHERE, () => this.api.list('SoftwareLicence', 'licences', licenceSchema, { client_id: setup.companyId, search: name }));
    const ours = res.items.find((l) => l.is_active !== false && l.client_id === setup.companyId && (l.name ?? '').trim() === name);
    return ours ? { customer: setup.companyId, softwareLicence: ours.id } : null;
  }

  async ensureBilling(setup: BillingSetup): Promise<EnsuredBilling> {
    const ours = await this.findOwnBilling(setup);
    if (ours) return { values: ours, created: false };
    const name = billingObjectName(setup.planName, LICENCE_NAME_MAX);
    const saved = await withRight(LICENCE_RIGHT, WHERE, () =>
      this.api.upsert('SoftwareLicence', { client_id: Number(setup.companyId), name, count: Math.max(0, Math.trunc(setup.seats)) }, { idempotent: false }),
    );
    const licence = licenceSchema.parse(saved);
    return { values: { customer: setup.companyId, softwareLicence: licence.id }, created: true };
  }

  async parents(): Promise<CompanyParent[]> {
    const res = await withRight(RIGHT, WHERE, () => this.api.list('TopLevel', 'tree', topLevelSchema));
    return res.items.map((t) => ({ id: t.id, name: t.name }));
  }

  async sites(companyId: string): Promise<PsaSite[]> {
    if (!isId(companyId)) return [];
    const [client, res] = await withRight(RIGHT, WHERE, () =>
      Promise.all([this.api.one(`Client/${companyId}`, clientRecordSchema), this.api.list('Site', 'sites', siteSchema, { client_id: companyId })]),
    );
    const main = client ? String((client as Record<string, unknown>).main_site_id ?? '') : '';
    return res.items.filter((s) => s.inactive !== true).map((s) => ({ id: s.id, name: s.name, companyId, primary: s.id === main }));
  }

  /** None: the licence write is checked at connect and every re-test (seat sync needs it too). */
  async importBillingRights(): Promise<MissingRight[]> {
    return [];
  }

  async checkRights(): Promise<MissingRight[]> {
    try {
      await this.api.get('Client', { pageinate: true, page_size: 1, page_no: 1 });
      return [];
    } catch (err) {
      if (asPsaError(err).kind !== 'permission') throw err;
      return [{ right: RIGHT, detail: `Set "Customers Access Level" to "Read and Modify" in ${WHERE} to list and create customers.` }];
    }
  }
}

export class HaloContacts implements PsaContacts {
  constructor(private readonly api: HaloApi) {}

  async listForCompany(companyId: string): Promise<PsaContact[]> {
    if (!isId(companyId)) return [];
    return (await haloUsersOf(this.api, companyId)).filter((u) => u.active).map((u) => ({ ...u, companyId }));
  }
}
