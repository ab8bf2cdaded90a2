/**
 * Picklists of the HaloPSA mapping forms. Small configuration lists (ticket types, SLAs,
 * priorities, statuses) are plain arrays paged locally; customers and software licences are
 * paged by Halo (`pageinate=true&page_size&page_no`, `record_count`).
 */
import type { z } from 'zod';
import { PsaConfigError, PsaValidationError } from '../core/errors';
import type { MappingKind, MappingValues, OptionsQuery, Page, PicklistOption } from '../core/types';
import type { HaloApi } from './client';
import {
  clientSchema,
  licenceSchema,
  prioritySchema,
  slaSchema,
  statusSchema,
  ticketTypeSchema,
  type HaloClient,
  type HaloLicence,
  type HaloPriority,
  type HaloStatus,
  type HaloTicketType,
} from './schemas';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;
const SEAT_SYNC_OPTIONS: PicklistOption[] = [
  { id: 'true', name: 'Yes' },
  { id: 'false', name: 'No' },
];

/** Ids go into URL paths, so only Halo's numeric ids are looked up. */
export const isHaloId = (id: string): boolean => /^-?\d{1,12}$/.test(id.trim());

function pageSizeOf(query?: OptionsQuery): number {
  return Math.min(Math.max(1, query?.pageSize ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
}

/** Pages an already-loaded list: case-insensitive name search, numeric offset cursor. */
export function pageLocally(items: PicklistOption[], query?: OptionsQuery): Page<PicklistOption> {
  const term = query?.search?.trim().toLowerCase();
  const filtered = term ? items.filter((o) => o.name.toLowerCase().includes(term)) : items;
  const offset = Math.max(0, Number.parseInt(query?.cursor ?? '0', 10) || 0);
  const size = pageSizeOf(query);
  const slice = filtered.slice(offset, offset + size);
  return { items: slice, nextCursor: offset + size < filtered.length ? String(offset + size) : null };
}

const ticketTypeOption = (t: HaloTicketType): PicklistOption => {
  const sla = t.default_sla ?? t.default_sla_id ?? t.sla_id ?? null;
  return { id: t.id, name: t.name, meta: { defaultSla: sla && sla !== '-1' ? sla : null } };
};
const priorityOption = (p: HaloPriority): PicklistOption => ({ id: p.priorityid, name: p.name, meta: { slaId: p.slaid ?? null } });
const statusOption = (closed: boolean) => (s: HaloStatus): PicklistOption => ({ id: s.id, name: s.name, meta: { closed } });
const customerOption = (c: HaloClient): PicklistOption => ({ id: c.id, name: c.name, meta: { inactive: c.inactive ?? false } });
const licenceOption = (l: HaloLicence): PicklistOption => ({
  id: l.id,
  name: l.name ?? `Licence ${l.id}`,
  meta: { count: l.count ?? 0, customerId: l.client_id ?? null },
});

export class HaloPicklists {
  constructor(private readonly api: HaloApi) {}

  async options(kind: MappingKind, field: string, query?: OptionsQuery): Promise<Page<PicklistOption>> {
    const key = `${kind}.${field}`;
    switch (key) {
      case 'ticket.syncSeatQuantity':
        return pageLocally(SEAT_SYNC_OPTIONS, query);
      case 'ticket.ticketType':
        return pageLocally((await this.ticketTypes()).map(ticketTypeOption), query);
      case 'ticket.sla':
        return pageLocally((await this.api.list('SLA', 'slas', slaSchema)).items.map((s) => ({ id: s.id, name: s.name })), query);
      case 'ticket.priority':
        return pageLocally((await this.priorities(requireParent(query?.parents, 'sla', 'an SLA'))).map(priorityOption), query);
      case 'ticket.status':
        return pageLocally((await this.openStatuses()).map(statusOption(false)), query);
      case 'ticket.closedStatus':
        return pageLocally((await this.closedStatuses()).map(statusOption(true)), query);
      case 'organization.customer':
        return this.pagedRemote('Client', 'clients', clientSchema, customerOption, query, {});
      case 'organization.softwareLicence':
        return this.pagedRemote('SoftwareLicence', 'licences', licenceSchema, licenceOption, query, {
          client_id: requireParent(query?.parents, 'customer', 'a customer'),
        });
      default:
        throw new PsaConfigError(`HaloPSA has no ${kind} mapping field "${field}"`);
    }
  }

  async option(kind: MappingKind, field: string, id: string, parents?: MappingValues): Promise<PicklistOption | null> {
    const key = `${kind}.${field}`;
    if (key === 'ticket.syncSeatQuantity') return SEAT_SYNC_OPTIONS.find((o) => o.id === id) ?? null;
    if (!['ticket.ticketType', 'ticket.sla', 'ticket.priority', 'ticket.status', 'ticket.closedStatus', 'organization.customer', 'organization.softwareLicence'].includes(key)) {
      throw new PsaConfigError(`HaloPSA has no ${kind} mapping field "${field}"`);
    }
    if (!isHaloId(id)) return null;
    switch (key) {
      case 'ticket.ticketType': {
        const t = await this.api.one(`TicketType/${id}`, ticketTypeSchema);
        return t ? ticketTypeOption(t) : null;
      }
      case 'ticket.sla': {
        const s = await this.api.one(`SLA/${id}`, slaSchema);
        return s ? { id: s.id, name: s.name } : null;
      }
      case 'ticket.priority': {
        const sla = parents?.sla;
        if (!sla || !isHaloId(sla)) return null;
        const match = (await this.priorities(sla)).find((p) => p.priorityid === id.trim());
        return match ? priorityOption(match) : null;
      }
      case 'ticket.status': {
        const s = (await this.openStatuses()).find((x) => x.id === id.trim());
        return s ? statusOption(false)(s) : null;
      }
      case 'ticket.closedStatus': {
        const s = (await this.closedStatuses()).find((x) => x.id === id.trim());
        return s ? statusOption(true)(s) : null;
      }
      case 'organization.customer': {
        const c = await this.api.one(`Client/${id}`, clientSchema);
        return c ? customerOption(c) : null;
      }
      default: {
        const l = await this.api.one(`SoftwareLicence/${id}`, licenceSchema);
        if (!l) return null;
        if (parents?.customer !== undefined && l.client_id !== parents.customer.trim()) return null;
        return licenceOption(l);
      }
    }
  }

  private async ticketTypes(): Promise<HaloTicketType[]> {
    const { items } = await this.api.list('TicketType', 'tickettypes', ticketTypeSchema);
    return items.filter((t) => t.inactive !== true);
  }

  private async priorities(slaId: string): Promise<HaloPriority[]> {
    const { items } = await this.api.list('Priority', 'priorities', prioritySchema, { slaid: slaId });
    // Older builds ignore `slaid`, so filter again where the row says which SLA it belongs to.
    return items.filter((p) => p.ishidden !== true && (p.slaid === undefined || p.slaid === null || p.slaid === slaId));
  }

  private async openStatuses(): Promise<HaloStatus[]> {
    return (await this.api.list('Status', 'statuses', statusSchema, { excludeclosed: true })).items;
  }

  /** Halo marks no status as "closed" in a documented field, so closed = all minus `excludeclosed=true`. */
  private async closedStatuses(): Promise<HaloStatus[]> {
    const [all, open] = await Promise.all([this.api.list('Status', 'statuses', statusSchema), this.openStatuses()]);
    const openIds = new Set(open.map((s) => s.id));
    return all.items.filter((s) => !openIds.has(s.id));
  }

  private async pagedRemote<S extends z.ZodType>(
    path: string,
    key: string,
    schema: S,
    toOption: (row: z.output<S>) => PicklistOption,
    query: OptionsQuery | undefined,
    filters: Record<string, string>,
  ): Promise<Page<PicklistOption>> {
    const pageNo = Math.max(1, Number.parseInt(query?.cursor ?? '1', 10) || 1);
    const size = pageSizeOf(query);
    const search = query?.search?.trim();
    const { items, recordCount } = await this.api.list(path, key, schema, {
      ...filters,
      ...(search ? { search } : {}),
      pageinate: true,
      page_size: size,
      page_no: pageNo,
    });
    const rows = items;
    // Stop at the reported total, or on a short/empty page when Halo gives no total.
    const more = recordCount !== null ? pageNo * size < recordCount : rows.length === size;
    return { items: rows.map(toOption), nextCursor: more && rows.length > 0 ? String(pageNo + 1) : null };
  }
}

function requireParent(parents: MappingValues | undefined, name: string, what: string): string {
  const value = parents?.[name]?.trim();
  if (!value || !isHaloId(value)) {
    throw new PsaValidationError(`Choose ${what} first`, { details: [`${name} is required to list these options`] });
  }
  return value;
}
