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
  BillingLine,
  BillingSnapshot,
  Capability,
  ConnectionInfo,
  MappingKind,
  MappingValues,
  OptionsQuery,
  Page,
  ParentsSnapshot,
  PermissionReport,
  PicklistOption,
  PsaAdapter,
  PsaTicket,
  QuantityChange,
  TicketCheck,
  TicketDraft,
  TicketWrite,
} from '../core/types';
import type { PsaCompanies } from '../core/companies';
import type { ConfigurationOptions, PsaConfigurationItems } from '../core/configurations';
import type { PsaContacts } from '../core/contacts';
import { AutotaskCompanies, AutotaskContacts, CONTRACT_ADD_MISSING } from './companies';
import { AutotaskConfigurations } from './configurations';
import { AUTOTASK_FIELDS, TICKET_PICKLIST } from './fields';
import { AutotaskRest, MAX_RECORDS } from './rest';
import { billable, brokenBilling, chunked, idsOf } from '../core/billing';
import {
  contractServiceSchema,
  fieldsSchema,
  itemIdSchema,
  itemSchema,
  parseVendor,
  ticketSchema,
  unitsSchema,
  type PicklistValue,
  type RawTicket,
  type Row,
} from './schemas';

type Filter = Record<string, unknown>;

/** Autotask's built-in "Complete" status (the only status that completes a ticket). */
const COMPLETE = 5;

/** Id of the Tickets "Status" field in TicketWebhookFields (from /TicketWebhookFields/entityInformation/fields). */
const TICKET_STATUS_FIELD_ID = 4;

/** Which Autotask security-level right each capability needs (from the vendor's role guide). */
const RIGHTS: Record<Capability, { entity: string; detail: string }> = {
  tickets: { entity: 'Tickets', detail: 'Service Desk → Tickets: View = All, Add = Yes, Edit = Yes' },
  companies: { entity: 'Companies', detail: 'CRM → Company & Contact Access = All (Customer & Cancellation = All)' },
  billing: { entity: 'Contracts', detail: 'Contracts → View = All, Add = Yes, Contract Visibility = Full' },
  catalog: { entity: 'Services', detail: 'Admin → Products, Services, & Inventory' },
};

/** Option listing per mapping field: entity, label and the filter its parents imply. */
interface EntityField {
  entity: string;
  label: (r: Row) => string;
  searchField: string;
  parentFilter?: (p: MappingValues) => Filter[] | null;
  activeFilter?: Filter[];
}

const ENTITY_FIELDS: Record<string, EntityField> = {
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

  /** One query page; the cursor is checked and followed by the shared REST helper. */
  private query(entity: string, filter: Filter[], maxRecords = MAX_RECORDS, cursor: string | null = null): Promise<{ items: Row[]; next: string | null }> {
    return this.inventoryRest().query(entity, filter, maxRecords, cursor);
  }

  private async item(entity: string, id: string | number): Promise<Row> {
    const res = await this.http.request({ method: 'GET', url: `${entity}/${encodeURIComponent(String(id))}`, endpoint: entity, idempotent: true });
    return parseVendor(itemSchema, res.body, `${entity}/{id}`).item;
  }

  private async create(url: string, endpoint: string, json: unknown, idempotent = false): Promise<number> {
    const res = await this.http.request({ method: 'POST', url, json, endpoint, idempotent });
    return parseVendor(itemIdSchema, res.body, url).itemId;
  }

  private ticketPicklists(): Promise<Map<string, PicklistValue[]>> {
    this.picklists ??= this.http.request({ method: 'GET', url: 'Tickets/entityInformation/fields', endpoint: 'Tickets', idempotent: true }).then((res) => {
      const { fields } = parseVendor(fieldsSchema, res.body, 'Tickets/entityInformation/fields');
      return new Map(fields.filter((f) => f.picklistValues).map((f) => [f.name.toLowerCase(), f.picklistValues ?? []]));
    });
    this.picklists.catch(() => (this.picklists = null));
    return this.picklists;
  }

  /** The API user's own resource id: work by anyone else on a ticket counts as "touched". */
  private ownResourceId(): Promise<number | null> {
    this.resourceId ??= this.query('Resources', [{ op: 'eq', field: 'userName', value: this.apiUser }], 1).then((p) => p.items[0]?.id ?? null);
    this.resourceId.catch(() => (this.resourceId = null));
    return this.resourceId;
  }

  async testConnection(): Promise<ConnectionInfo> {
    // Company 0 is always the Autotask owner (the MSP itself).
    const owner = await this.item('Companies', 0);
    const name = typeof owner.companyName === 'string' && owner.companyName ? owner.companyName : 'Autotask';
    return { accountName: name, version: 'REST v1.0', site: { zoneUrl: this.zoneUrl } };
  }

  async probePermissions(): Promise<PermissionReport> {
    const report: PermissionReport = { granted: [], missing: [], limited: [] };
    for (const [capability, right] of Object.entries(RIGHTS) as [Capability, (typeof RIGHTS)[Capability]][]) {
      try {
        await this.query(right.entity, [], 1);
        report.granted.push(capability);
      } catch (err) {
        if (!(err instanceof PsaPermissionError)) throw err;
        report.missing.push({ capability, detail: `The API user's security level needs ${right.detail}.` });
      }
    }
    if (report.granted.includes('billing')) {
      // Seat sync adjusts contract-service units (Edit); the import adds contracts (Add, optional).
      const access = await this.inventoryRest()
        .access('Contracts')
        .catch((err: unknown) => {
          // An answer that says nothing about the level (no such metadata, refused): nothing is reported.
          if (err instanceof PsaNotFoundError || err instanceof PsaValidationError || err instanceof PsaPermissionError) return { create: true, update: true };
          throw err;
        });
      if (!access.update) {
        report.granted = report.granted.filter((c) => c !== 'billing');
        report.missing.push({ capability: 'billing', detail: "The API user's security level needs Contracts → Edit = Yes: seat sync adjusts the units of contract services." });
      }
      if (!access.create) report.limited.push({ feature: 'import_billing', ...CONTRACT_ADD_MISSING });
    }
    return report;
  }

  async options(kind: MappingKind, field: string, query: OptionsQuery = {}): Promise<Page<PicklistOption>> {
    this.spec(kind, field);
    const parents = query.parents ?? {};
    if (kind === 'ticket') {
      // Ticket picklists come in one metadata call; page and search them locally.
      const values = await this.ticketValues(field, parents);
      const term = query.search?.toLowerCase();
      const items = values.filter((v) => !term || v.name.toLowerCase().includes(term));
      const size = Math.max(1, query.pageSize ?? items.length);
      const start = Number(query.cursor ?? 0) || 0;
      return { items: items.slice(start, start + size), nextCursor: start + size < items.length ? String(start + size) : null };
    }
    const def = ENTITY_FIELDS[field] as EntityField;
    const filter: Filter[] = [...(def.activeFilter ?? [])];
    if (def.parentFilter) {
      const pf = def.parentFilter(parents);
      if (!pf) return { items: [], nextCursor: null };
      filter.push(...pf);
    }
    if (query.search) filter.push({ op: 'contains', field: def.searchField, value: query.search });
    const page = await this.query(def.entity, filter, query.pageSize ?? 100, query.cursor ?? null);
    return { items: page.items.map((r) => ({ id: String(r.id), name: def.label(r) })), nextCursor: page.next };
  }

  async option(kind: MappingKind, field: string, id: string, parents: MappingValues = {}): Promise<PicklistOption | null> {
    this.spec(kind, field);
    if (kind === 'ticket') return (await this.ticketValues(field, parents)).find((o) => o.id === id) ?? null;
    if (!/^\d+$/.test(id)) return null;
    const def = ENTITY_FIELDS[field] as EntityField;
    const filter: Filter[] = [{ op: 'eq', field: 'id', value: Number(id) }, ...(def.activeFilter ?? [])];
    if (def.parentFilter) {
      const pf = def.parentFilter(parents);
      if (!pf) return null;
      filter.push(...pf);
    }
    const row = (await this.query(def.entity, filter, 1)).items[0];
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

  /** Assigned to, or last worked on by, a resource other than our API user. */
  private static touchedInRecord(raw: RawTicket, own: number | null): boolean {
    const byOther = (resource: number | null | undefined) => resource != null && own !== null && resource !== own;
    return byOther(raw.assignedResourceID) || byOther(raw.lastActivityResourceID);
  }

  private toTicket(raw: RawTicket, own: number | null, notesByOthers: boolean): PsaTicket {
    return {
      id: String(raw.id),
      number: raw.ticketNumber ?? null,
      marker: raw.externalID ?? raw.rmmAlertID ?? null,
      statusId: String(raw.status),
      closed: raw.status === COMPLETE,
      touchedByOthers: notesByOthers || AutotaskAdapter.touchedInRecord(raw, own),
      // The record names the last active resource, so no change stamp is needed (see checkTicket).
      watermark: null,
    };
  }

  async findTicketByMarker(marker: string): Promise<PsaTicket | null> {
    // One query: our marker lives in externalID; rmmAlertID is accepted for tickets made by older versions.
    const page = await this.query('Tickets', [{ op: 'or', items: [{ op: 'eq', field: 'externalID', value: marker }, { op: 'eq', field: 'rmmAlertID', value: marker }] }], 1);
    const raw = page.items[0];
    return raw ? this.toTicket(parseVendor(ticketSchema, raw, 'Tickets/query'), await this.ownResourceId(), false) : null;
  }

  async createTicket(d: TicketDraft): Promise<PsaTicket> {
    const m = d.ticketMapping;
    const required = ['queue', 'status', 'priority', 'issueType', 'subIssueType', 'sla'];
    const missing = required.filter((k) => !/^\d+$/.test(m[k] ?? ''));
    if (!/^\d+$/.test(d.organization.company ?? '')) missing.push('company');
    if (missing.length) throw new PsaValidationError(`The Autotask mapping is incomplete: ${missing.join(', ')}`, { details: missing.map((k) => `${k} is required`) });
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
    const id = await this.create('Tickets', 'Tickets', body);
    return { id: String(id), number: null, marker: d.marker, statusId: String(body.status), closed: body.status === COMPLETE, touchedByOthers: false, watermark: null };
  }

  async getTicket(ticketId: string): Promise<PsaTicket> {
    const own = await this.ownResourceId();
    // The ticket's last activity forgets earlier work once we write again, so notes by anyone
    // else are asked for separately (in parallel): "touched" must stay true.
    const othersNotes: Filter[] = [{ op: 'eq', field: 'ticketID', value: Number(ticketId) }, ...(own === null ? [] : [{ op: 'noteq', field: 'creatorResourceID', value: own }])];
    const [raw, notes] = await Promise.all([this.item('Tickets', ticketId), this.query('TicketNotes', othersNotes, 1)]);
    return this.toTicket(parseVendor(ticketSchema, raw, 'Tickets/{id}'), own, notes.items.length > 0);
  }

  /** One read: every write (a note too) stamps the ticket's last activity with its resource. */
  async checkTicket(ticketId: string, _watermark: string | null): Promise<TicketCheck> {
    const [own, raw] = await Promise.all([this.ownResourceId(), this.item('Tickets', ticketId)]);
    const t = parseVendor(ticketSchema, raw, 'Tickets/{id}');
    if (own === null) {
      // Without our own resource id "someone else" cannot be told from us: the full read counts every note.
      const full = await this.getTicket(ticketId);
      return { closed: full.closed, touchedByOthers: full.touchedByOthers };
    }
    return { closed: t.status === COMPLETE, touchedByOthers: AutotaskAdapter.touchedInRecord(t, own) };
  }

  async addTicketNote(ticketId: string, text: string): Promise<TicketWrite> {
    // noteType 1 = Task Detail, publish 1 = All Autotask users.
    await this.create(`Tickets/${encodeURIComponent(ticketId)}/Notes`, 'Tickets', { title: 'psa-sync', description: text.slice(0, 32000), noteType: 1, publish: 1 });
    return { watermark: null };
  }

  async findNote(ticketId: string, token: string): Promise<TicketWrite | null> {
    const page = await this.query('TicketNotes', [{ op: 'eq', field: 'ticketID', value: Number(ticketId) }, { op: 'contains', field: 'description', value: token }], 1);
    return page.items.length > 0 ? { watermark: null } : null;
  }

  async closeTicket(ticketId: string, closedStatusId: string, note: string): Promise<PsaTicket> {
    // One call: the resolution carries the note, the status completes the ticket.
    await this.http.request({ method: 'PATCH', url: 'Tickets', json: { id: Number(ticketId), status: Number(closedStatusId), resolution: note.slice(0, 32000) }, endpoint: 'Tickets', idempotent: true });
    return { id: ticketId, number: null, marker: null, statusId: closedStatusId, closed: true, touchedByOthers: false, watermark: null };
  }

  async reopenTicket(ticketId: string, openStatusId: string, note: string): Promise<PsaTicket> {
    await this.addTicketNote(ticketId, note);
    await this.http.request({ method: 'PATCH', url: 'Tickets', json: { id: Number(ticketId), status: Number(openStatusId) }, endpoint: 'Tickets', idempotent: true });
    return { id: ticketId, number: null, marker: null, statusId: openStatusId, closed: Number(openStatusId) === COMPLETE, touchedByOthers: false, watermark: null };
  }

  /**
   * A TicketWebhook takes several calls, and one that is live before our own resource is
   * excluded would report our own writes as someone else's work. So it is created inactive, made
   * ready (Status subscribed, our resource excluded) and only then activated; a failure on the way
   * deletes it. Leftovers of a subscription cut short (worker killed) are found by their URL,
   * which is this connection's own, and deleted first.
   */
  async subscribeTicketEvents(url: string, secret: string): Promise<string> {
    const own = await this.ownResourceId();
    const leftovers = await this.query('TicketWebhooks', [{ op: 'eq', field: 'webhookUrl', value: url }]);
    for (const hook of leftovers.items) await this.unsubscribeTicketEvents(String(hook.id));
    const id = await this.create('TicketWebhooks', 'TicketWebhooks', {
      IsActive: false,
      Name: 'psa-sync ticket events',
      WebhookUrl: url,
      DeactivationUrl: url,
      SecretKey: secret.slice(0, 64),
      IsSubscribedToCreateEvents: false,
      IsSubscribedToUpdateEvents: true,
      IsSubscribedToDeleteEvents: true,
      SendThresholdExceededNotification: false,
    });
    try {
      await this.create(`TicketWebhooks/${id}/Fields`, 'TicketWebhooks', { FieldID: TICKET_STATUS_FIELD_ID, IsSubscribedField: true, IsDisplayAlwaysField: true, WebhookID: id });
      if (own !== null) await this.create(`TicketWebhooks/${id}/ExcludedResources`, 'TicketWebhooks', { ResourceID: own, WebhookID: id });
      await this.http.request({ method: 'PATCH', url: 'TicketWebhooks', json: { id, IsActive: true }, endpoint: 'TicketWebhooks', idempotent: true });
    } catch (err) {
      await this.unsubscribeTicketEvents(String(id)).catch(() => undefined); // an inactive leftover is removed by the next subscribe
      throw err;
    }
    return String(id);
  }

  async unsubscribeTicketEvents(subscriptionId: string): Promise<void> {
    try {
      await this.http.request({ method: 'DELETE', url: `TicketWebhooks/${encodeURIComponent(subscriptionId)}`, endpoint: 'TicketWebhooks', idempotent: true });
    } catch (err) {
      // Already gone (deleted in Autotask, or our earlier attempt went through): nothing left to undo.
      if (!(err instanceof PsaNotFoundError)) throw err;
    }
  }

  /** Units of the contract service's billing period that contains today. */
  private async currentUnits(organization: MappingValues): Promise<{ units: number; serviceID: number; contractID: number }> {
    const csId = Number(organization.contractService);
    if (!Number.isInteger(csId)) throw new PsaValidationError('The organization mapping has no Autotask contract service', { details: ['contractService is required'] });
    const now = new Date().toISOString();
    const page = await this.query(
      'ContractServiceUnits',
      [
        { op: 'eq', field: 'contractServiceID', value: csId },
        { op: 'lte', field: 'startDate', value: now },
        { op: 'gte', field: 'endDate', value: now },
      ],
      1,
    );
    const row = page.items[0];
    if (!row) {
      // No current period: the contract service is gone (404 below) or has never been billed.
      const cs = parseVendor(contractServiceSchema, await this.item('ContractServices', csId), 'ContractServices/{id}');
      return { units: 0, serviceID: cs.serviceID, contractID: cs.contractID };
    }
    const units = parseVendor(unitsSchema, row, 'ContractServiceUnits/query');
    return { units: units.units, serviceID: units.serviceID, contractID: units.contractID };
  }

  async getQuantity(organization: MappingValues): Promise<number> {
    return (await this.currentUnits(organization)).units;
  }

  /** Every row of an Autotask query, following its cursor in pages of 500; `calls` counts the pages. */
  private async every(entity: string, filter: Filter[], counter: { calls: number }): Promise<Row[]> {
    const rows: Row[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Row[]; next: string | null } = await this.query(entity, filter, 500, cursor);
      counter.calls += 1;
      rows.push(...page.items);
      cursor = page.next;
    } while (cursor);
    return rows;
  }

  /**
   * The current period's units of exactly the mapped contract services (500 ids per query, the
   * page size, so one call per 500 organizations) and nothing else. A contract service without a
   * current period was deleted (with its contract). Inactive contracts and companies are
   * `inactiveParents`' (the health check's) to find.
   */
  async billing(mappings: readonly MappingValues[]): Promise<BillingSnapshot> {
    const counter = { calls: 0 };
    const now = new Date().toISOString();
    const units = new Map<number, Row>();
    for (const ids of chunked(idsOf(mappings, 'contractService'), 500)) {
      const rows = await this.every(
        'ContractServiceUnits',
        [
          { op: 'in', field: 'contractServiceID', value: ids },
          { op: 'lte', field: 'startDate', value: now },
          { op: 'gte', field: 'endDate', value: now },
        ],
        counter,
      );
      for (const r of rows) units.set(Number(r.contractServiceID), r);
    }
    const states = mappings.map((m) => {
      const row = units.get(Number(m.contractService));
      if (!row) return brokenBilling(`Autotask contract service ${m.contractService ?? '(none)'} was deleted or has no current billing period`);
      const u = unitsSchema.safeParse(row);
      if (!u.success) return brokenBilling(`Autotask answered contract service ${m.contractService} in an unexpected shape`);
      if (m.contract && u.data.contractID !== Number(m.contract)) return brokenBilling(`Autotask contract service ${m.contractService} no longer belongs to contract ${m.contract}`);
      return billable(u.data.units, { contractID: String(u.data.contractID), serviceID: String(u.data.serviceID) });
    });
    return { states, calls: counter.calls };
  }

  /** One query (paged) each for the inactive contracts and the inactive companies. */
  async inactiveParents(mappings: readonly MappingValues[]): Promise<ParentsSnapshot> {
    const counter = { calls: 0 };
    if (!mappings.length) return { inactive: [], calls: 0 };
    const contracts = new Set((await this.every('Contracts', [{ op: 'noteq', field: 'status', value: 1 }], counter)).map((r) => Number(r.id)));
    const companies = new Set((await this.every('Companies', [{ op: 'eq', field: 'isActive', value: false }], counter)).map((r) => Number(r.id)));
    const inactive = mappings.map((m) => {
      if (m.company && companies.has(Number(m.company))) return `Autotask company ${m.company} is inactive`;
      if (m.contract && contracts.has(Number(m.contract))) return `Autotask contract ${m.contract} is inactive`;
      return null;
    });
    return { inactive, calls: counter.calls };
  }

  /**
   * One create-only adjustment of the signed difference from the units just listed (adjustments
   * are relative): nothing is sent when there is no difference.
   */
  async setBillingQuantity(organization: MappingValues, quantity: number, current: BillingLine): Promise<QuantityChange> {
    assertUnits(quantity);
    const delta = quantity - current.quantity;
    if (delta !== 0) {
      await this.create('ContractServiceAdjustments', 'ContractServiceAdjustments', {
        contractID: Number(current.ref.contractID),
        contractServiceID: Number(organization.contractService),
        serviceID: Number(current.ref.serviceID),
        effectiveDate: new Date().toISOString().slice(0, 10),
        unitChange: delta,
      });
    }
    return { previous: current.quantity, current: quantity };
  }

  private rest: AutotaskRest | null = null;
  private inventoryRest(): AutotaskRest {
    return (this.rest ??= new AutotaskRest(this.http, this.apiUser));
  }

  private readonly configurationsBySettings = new Map<string, AutotaskConfigurations>();

  /** `options.deviceIdUdf` names the configuration-item UDF holding our device id. One instance per settings, so lookups made once stay made. */
  configurations(options: ConfigurationOptions = {}): PsaConfigurationItems {
    const key = JSON.stringify([options.deviceIdUdf, options.productBillingCodeId]);
    let found = this.configurationsBySettings.get(key);
    if (!found) this.configurationsBySettings.set(key, (found = new AutotaskConfigurations(this.inventoryRest(), options)));
    return found;
  }

  companies(): PsaCompanies {
    return new AutotaskCompanies(this.inventoryRest());
  }

  contacts(): PsaContacts {
    return new AutotaskContacts(this.inventoryRest());
  }

  async setQuantity(organization: MappingValues, quantity: number): Promise<QuantityChange> {
    assertUnits(quantity);
    const current = await this.currentUnits(organization);
    return this.setBillingQuantity(organization, quantity, { quantity: current.units, ref: { contractID: String(current.contractID), serviceID: String(current.serviceID) } });
  }

}

function assertUnits(quantity: number): void {
  if (!Number.isInteger(quantity) || quantity < 0) throw new PsaValidationError(`Autotask units must be a whole number of at least 0, not ${quantity}`, { details: ['unitChange'] });
}
