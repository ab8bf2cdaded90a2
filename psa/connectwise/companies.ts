/**
 * ConnectWise companies for organization import. A new company needs a unique `identifier`
 * (≤25): we derive it from the name, so a create whose answer was lost comes back as
 * `ObjectExists` on the retry and the company is adopted instead of made twice. Requests:
 * list = 1 per page (≤1000, `name contains` search); findByName = 1 (+ pages beyond 1000 hits);
 * create = 1 POST (+1 read and a further POST per identifier already taken); sites = 1 per 1000.
 */
import { PsaValidationError } from '../core/errors';
import { asPsaError, withRight } from '../core/batch';
import { billingObjectName, chunked, DEFAULT_AGREEMENT_TYPE, proposalOf, sameCompanyName, type BillingProposal, type BillingRequest, type BillingSetup, type CompanyDraft, type EnsuredBilling, type CompanyListQuery, type CreatedCompany, type PsaCompanies, type PsaCompany, type PsaSite } from '../core/companies';
import { fitText, storableText, type MissingRight } from '../core/configurations';
import type { MappingValues, Page } from '../core/types';
import { cwString, MAX_PAGE_SIZE, parse, type ConnectWiseApi } from './api';
import { companyRecordSchema, contactSchema, siteSchema } from './inventory-schemas';
import { isCwId } from './picklists';
import { IMPORT_BILLING_RIGHTS, lacking, readRole } from './security';
import { additionSchema, agreementSchema, idOnlySchema, refSchema } from './schemas';

const RIGHTS = {
  inquire: 'Companies > Company Maintenance (Inquire)',
  add: 'Companies > Company Maintenance (Add)',
  agreements: 'Finance > Agreements (Inquire)',
  addAgreements: 'Finance > Agreements (Add)',
  contacts: 'Companies > Contacts (Inquire, Add)',
} as const;
const WHERE = "the API member's security role, System > Security Roles";
const NAME_MAX = 50;
const IDENTIFIER_MAX = 25;
const AGREEMENT_NAME_MAX = 100;
/** First name of the billing contact made for a company that has no contact (an agreement needs one). */
const BILLING_CONTACT = 'Billing';

const today = () => `${new Date().toISOString().slice(0, 10)}T00:00:00Z`;

type CwCompany = ReturnType<typeof companyRecordSchema.parse>;

function toCompany(c: CwCompany): PsaCompany {
  return { id: String(c.id), name: c.name, identifier: c.identifier ?? null, active: c.deletedFlag !== true && c.status?.name !== 'Inactive', parentId: null };
}

/** The identifier ConnectWise would show for `name`: letters and digits of its ASCII spelling, numbered on collision. */
export function identifierCandidates(name: string, given?: string): string[] {
  const base = (given ?? name.normalize('NFKD'))
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, IDENTIFIER_MAX);
  const root = base || 'Company';
  const out = [root];
  for (let n = 2; n <= 20; n += 1) out.push(`${root.slice(0, IDENTIFIER_MAX - String(n).length)}${n}`);
  return out;
}

/** A text without `"` and `\`, whose quoting ConnectWise does not document, for a `contains` search. */
function quoteFree(text: string): string {
  return text
    .split(/["\\*%]/)
    .map((s) => s.trim())
    .sort((a, b) => b.length - a.length)[0] ?? '';
}

export class ConnectWiseCompanies implements PsaCompanies {
  readonly traits = { nameMax: NAME_MAX, parentRequired: false, phoneRequired: false, maxPageSize: MAX_PAGE_SIZE };

  constructor(private readonly api: ConnectWiseApi) {}

  async list(query: CompanyListQuery = {}): Promise<Page<PsaCompany>> {
    const conditions = ['deletedFlag=false'];
    const term = quoteFree(query.search ?? '');
    if (term) conditions.push(`name contains ${cwString(term)}`);
    const page = query.cursor && /^\d+$/.test(query.cursor) ? Number(query.cursor) : 1;
    const res = await withRight(RIGHTS.inquire, WHERE, () =>
      this.api.page('company/companies', companyRecordSchema, 'company', { conditions: conditions.join(' and '), orderBy: 'id asc', page, pageSize: query.pageSize ?? 100 }),
    );
    return { items: res.items.map(toCompany), nextCursor: res.nextPage === null ? null : String(res.nextPage) };
  }

  async findByName(name: string): Promise<PsaCompany[]> {
    const clean = storableText(name).trim();
    if (!clean) return [];
    const exact = !/["\\]/.test(clean);
    const conditions = `deletedFlag=false and ${exact ? `name=${cwString(clean)}` : `name contains ${cwString(quoteFree(clean))}`}`;
    const rows = await withRight(RIGHTS.inquire, WHERE, () => this.api.all('company/companies', companyRecordSchema, 'company', { conditions }));
    return rows.map(toCompany).filter((c) => sameCompanyName(c.name, clean));
  }

  private async byIdentifier(identifier: string): Promise<PsaCompany | null> {
    const rows = await this.api.all('company/companies', companyRecordSchema, 'company', { conditions: `identifier=${cwString(identifier)}` });
    return rows[0] ? toCompany(rows[0]) : null;
  }

  async create(draft: CompanyDraft): Promise<CreatedCompany> {
    const name = fitText(draft.name.trim().replace(/\s+/g, ' '), NAME_MAX);
    if (!name) throw new PsaValidationError('A company needs a name', { details: ['name'] });
    for (const identifier of identifierCandidates(name, draft.identifier)) {
      try {
        const res = await withRight(RIGHTS.add, WHERE, () =>
          this.api.send({ method: 'POST', path: 'company/companies', json: { identifier, name, site: { name: 'Main' } } }),
        );
        return { company: toCompany(parse(companyRecordSchema, res.body, 'company')), created: true };
      } catch (err) {
        const e = asPsaError(err);
        if (!(e instanceof PsaValidationError) || !e.details.some((d) => /identifier/i.test(d) && /use|exist/i.test(d))) throw e;
        // The identifier is taken: ours from a lost answer (same name), or someone else's.
        const holder = await withRight(RIGHTS.inquire, WHERE, () => this.byIdentifier(identifier));
        if (holder && sameCompanyName(holder.name, name)) return { company: holder, created: false };
        if (draft.identifier) throw e;
      }
    }
    throw new PsaValidationError(`No free ConnectWise company identifier for "${name}"`, { details: ['identifier'] });
  }

  /**
   * Agreements of all the companies in 1 request per 100 companies, then the additions of those
   * agreements (1 request each): an addition fits when it is live and sells the plan's catalog item.
   */
  async proposeBilling(requests: readonly BillingRequest[]): Promise<BillingProposal[]> {
    const ids = [...new Set(requests.map((r) => r.companyId).filter(isCwId))];
    const agreements: { id: number; company: number | null }[] = [];
    for (const chunk of chunked(ids, 100)) {
      const rows = await withRight(RIGHTS.agreements, WHERE, () =>
        this.api.all('finance/agreements', agreementSchema, 'agreement', { conditions: `company/id in (${chunk.join(',')}) and cancelledFlag=false` }),
      );
      agreements.push(...rows.filter((a) => a.cancelledFlag !== true).map((a) => ({ id: a.id, company: a.company?.id ?? null })));
    }
    const additions = new Map<number, { id: number; product: number | null }[]>();
    for (const a of agreements) {
      const rows = await withRight(RIGHTS.agreements, WHERE, () => this.api.all(`finance/agreements/${a.id}/additions`, additionSchema, 'agreement addition', { conditions: 'cancelledDate=null' }));
      additions.set(a.id, rows.filter((x) => !x.cancelledDate).map((x) => ({ id: x.id, product: x.product?.id ?? null })));
    }
    return requests.map((r) => {
      const item = r.plan?.catalogItem;
      const fitting = agreements
        .filter((a) => String(a.company) === r.companyId)
        .flatMap((a) => (additions.get(a.id) ?? []).filter((x) => item !== undefined && String(x.product) === item).map((x) => ({ company: r.companyId, agreement: String(a.id), agreementAddition: String(x.id) })));
      return proposalOf(fitting);
    });
  }

  /**
   * Our agreement (named after the plan) or a new one of the chosen type, with the company's
   * first active contact (a billing contact is made when it has none: the agreement needs one),
   * then the agreement's live addition of the plan's catalog item or a new one for the seats.
   * Requests: 1 agreement lookup + 1 addition lookup; a new agreement adds the type lookup (once
   * per adapter), 1 contact lookup (+1 POST) and 1 POST; a new addition 1 POST.
   */
  async ensureBilling(setup: BillingSetup): Promise<EnsuredBilling> {
    return (await this.billing(setup, 'ensure')) as EnsuredBilling;
  }

  async findOwnBilling(setup: BillingSetup): Promise<MappingValues | null> {
    return (await this.billing(setup, 'find'))?.values ?? null;
  }

  private async billing(setup: BillingSetup, mode: 'find' | 'ensure'): Promise<EnsuredBilling | null> {
    const item = setup.plan?.catalogItem?.trim();
    if (!item || !isCwId(item)) throw new PsaValidationError('The plan has no ConnectWise catalog item to bill', { details: ['catalogItem: map the plan first'] });
    if (!isCwId(setup.companyId)) throw new PsaValidationError(`Not a ConnectWise company id: ${setup.companyId}`, { details: ['company'] });
    const name = billingObjectName(setup.planName, AGREEMENT_NAME_MAX);
    const company = Number(setup.companyId);
    let created = false;
    const [found] = await withRight(RIGHTS.agreements, WHERE, () =>
      this.api.all('finance/agreements', agreementSchema, 'agreement', { conditions: `company/id=${company} and name=${cwString(name)} and cancelledFlag=false` }),
    );
    let agreementId = found?.id;
    if (agreementId === undefined && mode === 'find') return null;
    if (agreementId === undefined) {
      const type = await this.agreementType(setup.agreementType ?? DEFAULT_AGREEMENT_TYPE);
      const contact = await this.billingContact(company);
      const res = await withRight(RIGHTS.addAgreements, WHERE, () =>
        this.api.send({ method: 'POST', path: 'finance/agreements', json: { name, type: { id: type }, company: { id: company }, contact: { id: contact }, startDate: today(), noEndingDateFlag: true } }),
      );
      agreementId = parse(agreementSchema, res.body, 'agreement').id;
      created = true;
    }
    const [addition] = await withRight(RIGHTS.agreements, WHERE, () =>
      this.api.all(`finance/agreements/${agreementId}/additions`, additionSchema, 'agreement addition', { conditions: `product/id=${item} and cancelledDate=null` }),
    );
    let additionId = addition?.id;
    if (additionId === undefined && mode === 'find') return null;
    if (additionId === undefined) {
      const res = await withRight(RIGHTS.addAgreements, WHERE, () =>
        this.api.send({
          method: 'POST',
          path: `finance/agreements/${agreementId}/additions`,
          json: { product: { id: Number(item) }, quantity: Math.max(0, Math.trunc(setup.seats)), billCustomer: 'Billable', effectiveDate: today() },
        }),
      );
      additionId = parse(additionSchema, res.body, 'agreement addition').id;
      created = true;
    }
    return { values: { company: setup.companyId, agreement: String(agreementId), agreementAddition: String(additionId) }, created };
  }

  private agreementTypes = new Map<string, Promise<number>>();

  /** The id of the agreement type called `name` (looked up once per adapter). */
  private agreementType(name: string): Promise<number> {
    const key = name.trim().toLowerCase();
    let hit = this.agreementTypes.get(key);
    if (!hit) {
      hit = withRight(RIGHTS.agreements, WHERE, () => this.api.all('finance/agreements/types', refSchema, 'agreement type', { conditions: `name=${cwString(name.trim())}` })).then((rows) => {
        const type = rows.find((r) => (r.name ?? '').trim().toLowerCase() === key && (r as { inactiveFlag?: unknown }).inactiveFlag !== true);
        if (!type) throw new PsaValidationError(`ConnectWise has no active agreement type "${name}"`, { details: [`agreementType: "${name}" is not an agreement type (Setup Tables > Agreement Type)`] });
        return type.id;
      });
      this.agreementTypes.set(key, hit);
      hit.catch(() => this.agreementTypes.delete(key));
    }
    return hit;
  }

  /** The company's first active contact, or a new billing contact (found again on a retry: any active contact will do). */
  private async billingContact(company: number): Promise<number> {
    const [contact] = await withRight(RIGHTS.contacts, WHERE, () =>
      this.api.page('company/contacts', contactSchema, 'contact', { conditions: `company/id=${company} and inactiveFlag=false`, orderBy: 'id asc', page: 1, pageSize: 1 }),
    ).then((p) => p.items);
    if (contact) return contact.id;
    const res = await withRight(RIGHTS.contacts, WHERE, () => this.api.send({ method: 'POST', path: 'company/contacts', json: { firstName: BILLING_CONTACT, company: { id: company } } }));
    return parse(contactSchema, res.body, 'contact').id;
  }

  async parents(): Promise<never[]> {
    return [];
  }

  async sites(companyId: string): Promise<PsaSite[]> {
    if (!isCwId(companyId)) return [];
    const rows = await withRight(RIGHTS.inquire, WHERE, () => this.api.all(`company/companies/${companyId}/sites`, siteSchema, 'site'));
    return rows.filter((s) => s.inactiveFlag !== true).map((s) => ({ id: String(s.id), name: s.name, companyId, primary: s.primaryAddressFlag === true }));
  }

  async importBillingRights(): Promise<MissingRight[]> {
    return lacking(await readRole(this.api), IMPORT_BILLING_RIGHTS);
  }

  async checkRights(): Promise<MissingRight[]> {
    try {
      await this.api.page('company/companies', idOnlySchema, 'probe', { pageSize: 1, fields: 'id' });
      return [];
    } catch (err) {
      if (asPsaError(err).kind !== 'permission') throw err;
      return [{ right: RIGHTS.inquire, detail: "Add Companies > Company Maintenance (Add, Inquire) to the API member's security role in ConnectWise (System > Security Roles); creating companies needs Add." }];
    }
  }
}
