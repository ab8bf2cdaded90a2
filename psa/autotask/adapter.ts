/**
 * Autotask PSA adapter (REST v1.0). Auth is three headers on every call; the zone (base URL)
 * comes only from zone discovery. Queries are POST `/{Entity}/query` with Autotask filters and
 * a `nextPageUrl` cursor. Billing quantities change only through create-only
 * ContractServiceAdjustments, so an absolute set is computed as a signed delta from the
 * current period's units.
 */
import type { PsaHttpClient } from '../core/http';
import { PsaNotFoundError, PsaPermissionError, PsaValidationError } from '../core/errors';
import type {
  Capability,
  ConnectionInfo,
  MappingKind,
  MappingValues,
  OptionsQuery,
  Page,
  PermissionReport,
  PicklistOption,
  PsaAdapter,
  PsaTicket,
  QuantityChange,
  TicketDraft,
} from '../core/types';
import { AUTOTASK_FIELDS, TICKET_PICKLIST } from './fields';

interface PicklistValue {
  value: string;
  label: string;
  isActive?: boolean;
  parentValue?: string;
}

interface FieldInfo {
  name: string;
  picklistValues?: PicklistValue[] | null;
}

interface QueryPage<T> {
  items: T[];
  pageDetails?: { nextPageUrl?: string | null };
}

type Row = Record<string, unknown> & { id: number };

interface RawTicket {
  id: number;
  ticketNumber?: string | null;
  status: number;
  externalID?: string | null;
  rmmAlertID?: string | null;
  assignedResourceID?: number | null;
  lastActivityResourceID?: number | null;
}

/** Autotask's built-in "Complete" status; any other mapped closed status is also honoured. */
const COMPLETE = 5;

/** Which Autotask security-level right each capability needs (from the vendor's role guide). */
const RIGHTS: Record<Capability, { entity: string; detail: string }> = {
  tickets: { entity: 'Tickets', detail: 'Service Desk → Tickets: View = All, Add = Yes, Edit = Yes' },
  companies: { entity: 'Companies', detail: 'CRM → Company & Contact Access = All (Customer & Cancellation = All)' },
  billing: { entity: 'Contracts', detail: 'Contracts → View = All, Add = Yes, Contract Visibility = Full' },
  catalog: { entity: 'Services', detail: 'Admin → Products, Services, & Inventory' },
};

/** Option listing per mapping field: entity, label and the filter its parents imply. */
const ENTITY_FIELDS: Record<string, { entity: string; label: (r: Row) => string; searchField: string; parentFilter?: (p: MappingValues) => unknown[] | null; activeFilter?: unknown[] }> = {
  service: { entity: 'Services', label: (r) => String(r.name), searchField: 'name', activeFilter: [{ op: 'eq', field: 'isActive', value: true }] },
  company: { entity: 'Companies', label: (r) => String(r.companyName), searchField: 'companyName', activeFilter: [{ op: 'eq', field: 'isActive', value: true }] },
  contract: {
    entity: 'Contracts',
    label: (r) => String(r.contractName),
    searchField: 'contractName',
    parentFilter: (p) => (p.company ? [{ op: 'eq', field: 'companyID', value: Number(p.company) }] : null),
  },
  contractService: {
    entity: 'ContractServices',
    label: (r) => String(r.invoiceDescription ?? `Service ${r.serviceID}`),
    searchField: 'invoiceDescription',
    parentFilter: (p) => (p.contract ? [{ op: 'eq', field: 'contractID', value: Number(p.contract) }] : null),
  },
};

export class AutotaskAdapter implements PsaAdapter {
  readonly psa = 'autotask' as const;
  readonly fields = AUTOTASK_FIELDS;
  private picklists: Promise<Map<string, PicklistValue[]>> | null = null;
  private resourceId: Promise<number | null> | null = null;

  constructor(
    private readonly http: PsaHttpClient,
    private readonly apiUser: string,
    private readonly zoneUrl: string,
  ) {}

  private async query<T>(entity: string, filter: unknown[], maxRecords = 500, cursor: string | null = null): Promise<QueryPage<T>> {
    // The cursor is Autotask's nextPageUrl, handed back to us by the portal: follow it only into
    // this connection's own zone, or a crafted cursor could send our credentials elsewhere.
    if (cursor !== null && !cursor.toLowerCase().startsWith(`${this.http.baseUrl.toLowerCase()}/`)) {
      throw new PsaValidationError('The page cursor does not belong to this Autotask connection', { details: ['invalid cursor'] });
    }
    const body = { MaxRecords: maxRecords, Filter: filter.length ? filter : [{ op: 'gte', field: 'id', value: 0 }] };
    // A POST query's next page is POSTed with the same body.
    const res = await this.http.request({ method: 'POST', url: cursor ?? `${entity}/query`, json: body, endpoint: entity, idempotent: true });
    return res.body as QueryPage<T>;
  }

  private async item<T>(entity: string, id: string | number): Promise<T> {
    const res = await this.http.request({ method: 'GET', url: `${entity}/${encodeURIComponent(String(id))}`, endpoint: entity, idempotent: true });
    return (res.body as { item: T }).item;
  }

  private ticketPicklists(): Promise<Map<string, PicklistValue[]>> {
    this.picklists ??= this.http
      .request({ method: 'GET', url: 'Tickets/entityInformation/fields', endpoint: 'Tickets', idempotent: true })
      .then((res) => new Map(((res.body as { fields: FieldInfo[] }).fields ?? []).filter((f) => f.picklistValues).map((f) => [f.name.toLowerCase(), f.picklistValues as PicklistValue[]])));
    this.picklists.catch(() => (this.picklists = null));
    return this.picklists;
  }

  /** The API user's own resource id: work by anyone else on a ticket counts as "touched". */
  private ownResourceId(): Promise<number | null> {
    this.resourceId ??= this.query<Row>('Resources', [{ op: 'eq', field: 'userName', value: this.apiUser }], 1).then((p) => (p.items[0]?.id ?? null) as number | null);
    this.resourceId.catch(() => (this.resourceId = null));
    return this.resourceId;
  }

  async testConnection(): Promise<ConnectionInfo> {
    // Company 0 is always the Autotask owner (the MSP itself).
    const owner = await this.item<{ companyName?: string }>('Companies', 0);
    return { accountName: owner.companyName ?? 'Autotask', version: 'REST v1.0', site: { zoneUrl: this.zoneUrl } };
  }

  async probePermissions(): Promise<PermissionReport> {
    const report: PermissionReport = { granted: [], missing: [] };
    for (const [capability, right] of Object.entries(RIGHTS) as [Capability, (typeof RIGHTS)[Capability]][]) {
      try {
        await this.query(right.entity, [], 1);
        report.granted.push(capability);
      } catch (err) {
        if (!(err instanceof PsaPermissionError)) throw err;
        report.missing.push({ capability, detail: `The API user's security level needs ${right.detail}.` });
      }
    }
    return report;
  }

  async options(kind: MappingKind, field: string, query: OptionsQuery = {}): Promise<Page<PicklistOption>> {
    this.spec(kind, field);
    const parents = query.parents ?? {};
    if (kind === 'ticket') {
      const values = await this.ticketValues(field, parents);
      const term = query.search?.toLowerCase();
      const items = values.filter((v) => !term || v.name.toLowerCase().includes(term));
      const size = query.pageSize ?? items.length;
      const start = Number(query.cursor ?? 0);
      return { items: items.slice(start, start + size), nextCursor: start + size < items.length ? String(start + size) : null };
    }
    const def = ENTITY_FIELDS[field] as (typeof ENTITY_FIELDS)[string];
    const filter: unknown[] = [...(def.activeFilter ?? [])];
    if (def.parentFilter) {
      const pf = def.parentFilter(parents);
      if (!pf) return { items: [], nextCursor: null };
      filter.push(...pf);
    }
    if (query.search) filter.push({ op: 'contains', field: def.searchField, value: query.search });
    const page = await this.query<Row>(def.entity, filter, Math.min(500, query.pageSize ?? 100), query.cursor ?? null);
    return { items: page.items.map((r) => ({ id: String(r.id), name: def.label(r) })), nextCursor: page.pageDetails?.nextPageUrl ?? null };
  }

  async option(kind: MappingKind, field: string, id: string, parents: MappingValues = {}): Promise<PicklistOption | null> {
    this.spec(kind, field);
    if (kind === 'ticket') return (await this.ticketValues(field, parents)).find((o) => o.id === id) ?? null;
    if (!/^\d+$/.test(id)) return null;
    const def = ENTITY_FIELDS[field] as (typeof ENTITY_FIELDS)[string];
    const filter: unknown[] = [{ op: 'eq', field: 'id', value: Number(id) }, ...(def.activeFilter ?? [])];
    if (def.parentFilter) {
      const pf = def.parentFilter(parents);
      if (!pf) return null;
      filter.push(...pf);
    }
    const row = (await this.query<Row>(def.entity, filter, 1)).items[0];
    return row ? { id: String(row.id), name: def.label(row) } : null;
  }

  private spec(kind: MappingKind, field: string) {
    const spec = this.fields[kind].find((f) => f.name === field);
    if (!spec) throw new PsaNotFoundError(`Autotask has no ${kind} field ${field}`);
    return spec;
  }

  private async ticketValues(field: string, parents: MappingValues): Promise<PicklistOption[]> {
    const lists = await this.ticketPicklists();
    const values = (lists.get((TICKET_PICKLIST[field] as string).toLowerCase()) ?? []).filter((v) => v.isActive !== false);
    const scoped = field === 'subIssueType' ? values.filter((v) => parents.issueType !== undefined && v.parentValue === parents.issueType) : values;
    return scoped.map((v) => ({ id: v.value, name: v.label, ...(field === 'closedStatus' || field === 'status' ? { meta: { complete: v.value === String(COMPLETE) } } : {}) }));
  }

  private async toTicket(raw: RawTicket, closedStatuses: Set<number> = new Set([COMPLETE])): Promise<PsaTicket> {
    const own = await this.ownResourceId();
    const touched =
      (raw.assignedResourceID != null && raw.assignedResourceID !== own) || (raw.lastActivityResourceID != null && own !== null && raw.lastActivityResourceID !== own);
    return {
      id: String(raw.id),
      number: raw.ticketNumber ?? null,
      marker: raw.externalID ?? raw.rmmAlertID ?? null,
      statusId: String(raw.status),
      closed: closedStatuses.has(Number(raw.status)),
      touchedByOthers: touched,
    };
  }

  async findTicketByMarker(marker: string): Promise<PsaTicket | null> {
    const page = await this.query<RawTicket>('Tickets', [{ op: 'eq', field: 'externalID', value: marker }], 1);
    const raw = page.items[0];
    return raw ? this.toTicket(raw) : null;
  }

  async createTicket(d: TicketDraft): Promise<PsaTicket> {
    const m = d.ticketMapping;
    const body = {
      companyID: Number(d.organization.company),
      ...(d.organization.contract ? { contractID: Number(d.organization.contract) } : {}),
      title: d.title.slice(0, 255),
      description: d.description.slice(0, 8000),
      queueID: Number(m.queue),
      status: Number(m.status),
      priority: Number(m.priority),
      issueType: Number(m.issueType),
      subIssueType: Number(m.subIssueType),
      serviceLevelAgreementID: Number(m.sla),
      externalID: d.marker,
    };
    const res = await this.http.request({ method: 'POST', url: 'Tickets', json: body, endpoint: 'Tickets' });
    const id = (res.body as { itemId: number }).itemId;
    return { id: String(id), number: null, marker: d.marker, statusId: String(body.status), closed: false, touchedByOthers: false };
  }

  async getTicket(ticketId: string): Promise<PsaTicket> {
    return this.toTicket(await this.item<RawTicket>('Tickets', ticketId));
  }

  async addTicketNote(ticketId: string, text: string): Promise<void> {
    await this.http.request({
      method: 'POST',
      url: `Tickets/${encodeURIComponent(ticketId)}/Notes`,
      json: { title: 'psa-sync', description: text.slice(0, 32000), noteType: 1, publish: 1 },
      endpoint: 'Tickets',
    });
  }

  async closeTicket(ticketId: string, closedStatusId: string, note: string): Promise<PsaTicket> {
    // One call: the resolution carries the note, the status completes the ticket.
    await this.http.request({ method: 'PATCH', url: 'Tickets', json: { id: Number(ticketId), status: Number(closedStatusId), resolution: note.slice(0, 32000) }, endpoint: 'Tickets', idempotent: true });
    return { id: ticketId, number: null, marker: null, statusId: closedStatusId, closed: true, touchedByOthers: false };
  }

  async reopenTicket(ticketId: string, openStatusId: string, note: string): Promise<PsaTicket> {
    await this.addTicketNote(ticketId, note);
    await this.http.request({ method: 'PATCH', url: 'Tickets', json: { id: Number(ticketId), status: Number(openStatusId) }, endpoint: 'Tickets', idempotent: true });
    return { id: ticketId, number: null, marker: null, statusId: openStatusId, closed: false, touchedByOthers: false };
  }

  async subscribeTicketEvents(url: string, secret: string): Promise<string> {
    const created = await this.http.request({
      method: 'POST',
      url: 'TicketWebhooks',
      json: {
        IsActive: true,
        Name: 'psa-sync ticket events',
        WebhookUrl: url,
        DeactivationUrl: url,
        SecretKey: secret.slice(0, 64),
        IsSubscribedToCreateEvents: false,
        IsSubscribedToUpdateEvents: true,
        IsSubscribedToDeleteEvents: true,
        SendThresholdExceededNotification: false,
      },
      endpoint: 'TicketWebhooks',
    });
    const id = String((created.body as { itemId: number }).itemId);
    // Status is the field we care about; our own changes are excluded so they do not echo back.
    await this.http.request({ method: 'POST', url: `TicketWebhooks/${id}/Fields`, json: { FieldID: 4, IsSubscribedField: true, IsDisplayAlwaysField: true, WebhookID: Number(id) }, endpoint: 'TicketWebhooks' });
    const own = await this.ownResourceId();
    if (own !== null) await this.http.request({ method: 'POST', url: `TicketWebhooks/${id}/ExcludedResources`, json: { ResourceID: own, WebhookID: Number(id) }, endpoint: 'TicketWebhooks' });
    return id;
  }

  async unsubscribeTicketEvents(subscriptionId: string): Promise<void> {
    await this.http.request({ method: 'DELETE', url: `TicketWebhooks/${encodeURIComponent(subscriptionId)}`, endpoint: 'TicketWebhooks', idempotent: true });
  }

  /** Units of the contract service's billing period that contains today. */
  private async currentUnits(organization: MappingValues): Promise<{ units: number; serviceID: number; contractID: number }> {
    const csId = Number(organization.contractService);
    const now = new Date().toISOString();
    const page = await this.query<Row>('ContractServiceUnits', [
      { op: 'eq', field: 'contractServiceID', value: csId },
      { op: 'lte', field: 'startDate', value: now },
      { op: 'gte', field: 'endDate', value: now },
    ], 1);
    const row = page.items[0];
    if (!row) {
      // No period at all means the contract service itself is gone (or has never been billed).
      const cs = await this.item<Row>('ContractServices', csId);
      return { units: 0, serviceID: Number(cs.serviceID), contractID: Number(cs.contractID) };
    }
    return { units: Number(row.units), serviceID: Number(row.serviceID), contractID: Number(row.contractID) };
  }

  async getQuantity(organization: MappingValues): Promise<number> {
    return (await this.currentUnits(organization)).units;
  }

  async setQuantity(organization: MappingValues, quantity: number): Promise<QuantityChange> {
    const current = await this.currentUnits(organization);
    const delta = quantity - current.units;
    if (delta !== 0) {
      await this.http.request({
        method: 'POST',
        url: 'ContractServiceAdjustments',
        json: {
          contractID: current.contractID,
          contractServiceID: Number(organization.contractService),
          serviceID: current.serviceID,
          effectiveDate: new Date().toISOString().slice(0, 10),
          unitChange: delta,
        },
        endpoint: 'ContractServiceAdjustments',
      });
    }
    return { previous: current.units, current: quantity };
  }
}
