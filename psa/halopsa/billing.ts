/**
 * Seat sync for HaloPSA: the organization's Software Licence `count`. Setting is absolute and
 * skips the write when the count already matches, so repeating it changes nothing.
 */
import { PsaNotFoundError, PsaUnavailableError, PsaValidationError } from '../core/errors';
import type { z } from 'zod';
import type { BillingLine, BillingSnapshot, MappingValues, ParentsSnapshot, QuantityChange } from '../core/types';
import { billable, brokenBilling } from '../core/billing';
import type { HaloApi } from './client';
import { isHaloId } from './picklists';
import { clientSchema, licenceSchema, type HaloLicence } from './schemas';

const PAGE = 500;

export class HaloBilling {
  constructor(private readonly api: HaloApi) {}

  async getQuantity(organization: MappingValues): Promise<number> {
    return (await this.licence(organization)).count ?? 0;
  }

  async setQuantity(organization: MappingValues, quantity: number): Promise<QuantityChange> {
    if (!Number.isInteger(quantity) || quantity < 0) {
      throw new PsaValidationError(`A seat quantity must be a whole number of at least 0 (got ${quantity})`, {
        details: ['quantity must be a non-negative integer'],
      });
    }
    const licence = await this.licence(organization);
    const previous = licence.count ?? 0;
    if (previous === quantity) return { previous, current: quantity };
    const saved = licenceSchema.safeParse(await this.api.upsert('SoftwareLicence', { id: Number(licence.id), count: quantity }, { idempotent: true }));
    if (!saved.success) throw new PsaUnavailableError('HaloPSA returned an unexpected software licence shape');
    return { previous, current: saved.data.count ?? quantity };
  }

  /** Every row of a list in pages of 500; `calls` counts the pages. */
  private async pages<S extends typeof licenceSchema | typeof clientSchema>(counter: { calls: number }, path: string, key: string, schema: S, query: Record<string, string | number | boolean>) {
    const rows: z.output<S>[] = [];
    for (let page = 1; ; page += 1) {
      const { items } = await this.api.list(path, key, schema, { ...query, pageinate: true, page_size: PAGE, page_no: page });
      counter.calls += 1;
      rows.push(...(items as z.output<S>[]));
      if (items.length < PAGE) return rows;
    }
  }

  /**
   * Every software licence (inactive ones too) in pages of 500: Halo filters licences by one
   * customer only, so one pass over all of them is cheaper than a read per organization. Inactive
   * customers are `inactiveCustomers`' (the health check's).
   */
  async list(mappings: readonly MappingValues[]): Promise<BillingSnapshot> {
    const counter = { calls: 0 };
    if (!mappings.length) return { states: [], calls: 0 };
    const licences = new Map((await this.pages(counter, 'SoftwareLicence', 'licences', licenceSchema, { includeinactive: true })).map((l) => [String(l.id), l]));
    const states = mappings.map((m) => {
      const customer = m.customer?.trim();
      const l = licences.get(m.softwareLicence?.trim() ?? '');
      if (!l) return brokenBilling(`HaloPSA software licence ${m.softwareLicence ?? '(none)'} was deleted`);
      if (l.is_active === false) return brokenBilling(`HaloPSA software licence ${l.id} is inactive`);
      if (customer && l.client_id && l.client_id !== customer) return brokenBilling(`HaloPSA software licence ${l.id} no longer belongs to customer ${customer}`);
      return billable(l.count ?? 0);
    });
    return { states, calls: counter.calls };
  }

  /** The inactive customers in one list (paged): a mapping under one of them is broken. */
  async inactiveCustomers(mappings: readonly MappingValues[]): Promise<ParentsSnapshot> {
    const counter = { calls: 0 };
    if (!mappings.length) return { inactive: [], calls: 0 };
    const clients = await this.pages(counter, 'Client', 'clients', clientSchema, { includeinactive: true, includeactive: false });
    const inactive = new Set(clients.filter((c) => c.inactive !== false).map((c) => String(c.id)));
    return {
      inactive: mappings.map((m) => {
        const customer = m.customer?.trim();
        return customer && inactive.has(customer) ? `HaloPSA customer ${customer} is inactive` : null;
      }),
      calls: counter.calls,
    };
  }

  /** One upsert of the absolute count; the listed value only saves the read. */
  async setKnown(organization: MappingValues, quantity: number, current: BillingLine): Promise<QuantityChange> {
    if (!Number.isInteger(quantity) || quantity < 0) throw new PsaValidationError(`A seat quantity must be a whole number of at least 0 (got ${quantity})`, { details: ['quantity must be a non-negative integer'] });
    if (current.quantity === quantity) return { previous: quantity, current: quantity };
    const saved = licenceSchema.safeParse(await this.api.upsert('SoftwareLicence', { id: Number(organization.softwareLicence), count: quantity }, { idempotent: true }));
    if (!saved.success) throw new PsaUnavailableError('HaloPSA returned an unexpected software licence shape');
    return { previous: current.quantity, current: saved.data.count ?? quantity };
  }

  private async licence(organization: MappingValues): Promise<HaloLicence> {
    const id = organization.softwareLicence?.trim();
    if (!id || !isHaloId(id)) throw new PsaNotFoundError('The organization has no HaloPSA software licence mapped');
    const licence = await this.api.one(`SoftwareLicence/${id}`, licenceSchema);
    if (!licence) throw new PsaNotFoundError(`HaloPSA software licence ${id} no longer exists`);
    const customer = organization.customer?.trim();
    if (customer && licence.client_id && licence.client_id !== customer) {
      throw new PsaNotFoundError(`HaloPSA software licence ${id} does not belong to customer ${customer}`);
    }
    return licence;
  }
}
