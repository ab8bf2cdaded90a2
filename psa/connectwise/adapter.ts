/**
 * The ConnectWise Manage adapter. Request budget per operation (after codebase discovery):
 * open a ticket = find by externalXRef + POST; close = PATCH status + resolution note;
 * quantity read = 1 GET, quantity set = GET + PATCH (no PATCH when unchanged).
 */
import type { z } from 'zod';
import { PsaConfigError, PsaNotFoundError, PsaPermissionError, PsaValidationError } from '../core/errors';
import type {
  BillingLine,
  BillingSnapshot,
  ParentsSnapshot,
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
  TicketCheck,
  QuantityChange,
  TicketDraft,
  TicketWrite,
  UnreadClose,
} from '../core/types';
import type { PsaCompanies } from '../core/companies';
import type { PsaConfigurationItems } from '../core/configurations';
import type { PsaContacts } from '../core/contacts';
import { cwString, parse, type ConnectWiseApi } from './api';
import { ConnectWiseCompanies } from './companies';
import { ConnectWiseConfigurations } from './configurations';
import { ConnectWiseContacts } from './contacts';
import { CONNECTWISE_FIELDS } from './fields';
import { isCwId, lookupSource, parentIds, searchCondition } from './picklists';
import { additionSchema, agreementSchema, companySchema, countSchema, idOnlySchema, refSchema, systemInfoSchema, ticketSchema, type CwTicket } from './schemas';
import { MAX_PAGE_SIZE } from './api';
import { IMPORT_BILLING_RIGHTS, lacking, readRole, SEAT_SYNC_RIGHTS } from './security';
import { billable, brokenBilling, chunked, idsOf, inPool } from '../core/billing';

/** The security-role rights the partner docs list, per capability, for the missing-right sentence. */
export const CAPABILITY_RIGHTS: Record<Capability, { probe: string; right: string }> = {
  tickets: {
    probe: 'service/tickets',
    right: 'Service Desk > Service Tickets (Add, Edit, Inquire) and Service Desk > Close Service Tickets (Add, Edit, Inquire)',
  },
  companies: { probe: 'company/companies', right: 'Companies > Company Maintenance (Add, Inquire)' },
  billing: { probe: 'finance/agreements', right: 'Finance > Agreements (Edit, Inquire)' },
  catalog: { probe: 'procurement/catalog', right: 'Procurement > Product Catalog (Add, Edit, Inquire)' },
};

const SUMMARY_MAX = 100;
const XREF_MAX = 100;

function requireId(value: string | undefined, what: string): number {
  if (!isCwId(value)) throw new PsaConfigError(`The ConnectWise ${what} is missing or is not a ConnectWise id`);
  return Number(value);
}

function ticketId(id: string): number {
  if (!isCwId(id)) throw new PsaNotFoundError(`ConnectWise ticket ${JSON.stringify(id)} does not exist`);
  return Number(id);
}

/** Work the record keeps whoever changed it last: an owner, assigned resources, logged hours. */
function workTraces(t: CwTicket): boolean {
  return (t.resources ?? '').trim() !== '' || (t.actualHours ?? 0) > 0 || Boolean(t.owner);
}

/** Work by anyone but the member that entered the ticket, as far as the ticket record shows it. */
function touchedInRecord(t: CwTicket): boolean {
  const enteredBy = typeof t._info?.enteredBy === 'string' ? t._info.enteredBy : null;
  const updatedBy = typeof t._info?.updatedBy === 'string' ? t._info.updatedBy : null;
  return (enteredBy !== null && updatedBy !== null && enteredBy.toLowerCase() !== updatedBy.toLowerCase()) || workTraces(t);
}

function toPsaTicket(t: CwTicket, touchedByOthers = touchedInRecord(t)): PsaTicket {
  return {
    id: String(t.id),
    number: null,
    marker: t.externalXRef ?? null,
    statusId: String(t.status.id),
    closed: t.closedFlag === true,
    touchedByOthers,
    // The record names its last updater, so no change stamp is needed (see checkTicket).
    watermark: null,
  };
}

export interface ConnectWiseAdapterOptions {
  api: ConnectWiseApi;
  siteUrl: string;
  companyId: string;
}

export class ConnectWiseAdapter implements PsaAdapter {
  readonly psa = 'connectwise' as const;
  readonly fields = CONNECTWISE_FIELDS;
  private readonly api: ConnectWiseApi;

  constructor(private readonly opts: ConnectWiseAdapterOptions) {
    this.api = opts.api;
  }

  async testConnection(): Promise<ConnectionInfo> {
    const company = await this.api.discover();
    const info = await this.api.get('system/info', systemInfoSchema, 'system info');
    const site: Record<string, string> = { siteUrl: this.opts.siteUrl, companyId: this.opts.companyId, codebase: company.codebase };
    if (info.cloudRegion) site.cloudRegion = info.cloudRegion;
    return { accountName: company.companyName ?? this.opts.companyId, version: info.version ?? company.versionCode, site };
  }

  async probePermissions(): Promise<PermissionReport> {
    const entries = Object.entries(CAPABILITY_RIGHTS) as [Capability, (typeof CAPABILITY_RIGHTS)[Capability]][];
    const results = await Promise.all(
      entries.map(async ([capability, { probe, right }]) => {
        try {
          await this.api.page(probe, idOnlySchema, capability, { pageSize: 1, fields: 'id' });
          return { capability, missing: null };
        } catch (err) {
          if (err instanceof PsaPermissionError) {
            return { capability, missing: `Add ${right} to the API member's security role in ConnectWise (System > Security Roles).` };
          }
          throw err;
        }
      }),
    );
    // Write rights, read from the role in one call: seat sync edits additions (needed); the
    // import's billing objects add agreements, additions and a billing contact (optional).
    const role = await readRole(this.api);
    const billingRead = results.find((r) => r.capability === 'billing')?.missing === null;
    const seatSync = billingRead ? lacking(role, SEAT_SYNC_RIGHTS) : [];
    const missing = results.flatMap((r) => (r.missing === null ? [] : [{ capability: r.capability, detail: r.missing }]));
    for (const m of seatSync) missing.push({ capability: 'billing', detail: `${m.detail} Seat sync changes the agreement addition's quantity.` });
    return {
      granted: results.filter((r) => r.missing === null && !(r.capability === 'billing' && seatSync.length > 0)).map((r) => r.capability),
      missing,
      limited: lacking(role, IMPORT_BILLING_RIGHTS).map((m) => ({ feature: 'import_billing' as const, ...m })),
    };
  }

  async options(kind: MappingKind, field: string, query: OptionsQuery = {}): Promise<Page<PicklistOption>> {
    const s = lookupSource(kind, field);
    const parents = parentIds(kind, field, s, query.parents);
    if (parents === null) return { items: [], nextCursor: null };
    const conditions = [s.scope(parents), searchCondition(s, query.search)].filter(Boolean).join(' and ');
    const page = query.cursor && /^\d+$/.test(query.cursor) ? Number(query.cursor) : 1;
    const res = await this.api.page(s.listPath(parents), s.schema, s.what, {
      conditions: conditions || undefined,
      orderBy: s.orderBy,
      page,
      pageSize: query.pageSize ?? 100,
    });
    return { items: res.items.map((r) => s.toOption(r)), nextCursor: res.nextPage === null ? null : String(res.nextPage) };
  }

  async option(kind: MappingKind, field: string, id: string, parents?: MappingValues): Promise<PicklistOption | null> {
    const s = lookupSource(kind, field);
    const p = parentIds(kind, field, s, parents);
    if (p === null || !isCwId(id)) return null;
    try {
      const record = await this.api.get(s.onePath(p, Number(id)), s.schema, s.what);
      return s.accepts(record, p) ? s.toOption(record) : null;
    } catch (err) {
      if (err instanceof PsaNotFoundError) return null;
      throw err;
    }
  }

  async findTicketByMarker(marker: string): Promise<PsaTicket | null> {
    const res = await this.api.page('service/tickets', ticketSchema, 'ticket', {
      conditions: `externalXRef=${cwString(marker)}`,
      orderBy: 'id asc',
      pageSize: 1,
    });
    const first = res.items[0];
    return first ? toPsaTicket(first) : null;
  }

  async createTicket(draft: TicketDraft): Promise<PsaTicket> {
    const m = draft.ticketMapping;
    if (draft.marker.length === 0 || draft.marker.length > XREF_MAX) {
      throw new PsaValidationError('The ticket marker does not fit ConnectWise externalXRef', { details: [`externalXRef: 1 to ${XREF_MAX} characters`] });
    }
    const ref = (value: string | undefined, what: string) => ({ id: requireId(value, what) });
    const optionalRef = (value: string | undefined, what: string) => (value === undefined || value === '' ? undefined : ref(value, what));
    const title = draft.title.trim() || 'Alert';
    const body = {
      summary: title.length > SUMMARY_MAX ? `${title.slice(0, SUMMARY_MAX - 1)}…` : title,
      recordType: 'ServiceTicket',
      board: ref(m.board, 'ticket mapping board'),
      status: ref(m.status, 'ticket mapping status'),
      company: ref(draft.organization.company, 'organization company'),
      type: optionalRef(m.type, 'ticket mapping type'),
      subType: optionalRef(m.subtype, 'ticket mapping subtype'),
      item: optionalRef(m.item, 'ticket mapping item'),
      priority: optionalRef(m.priority, 'ticket mapping priority'),
      sla: optionalRef(m.sla, 'ticket mapping SLA'),
      externalXRef: draft.marker,
      initialDescription: draft.description,
    };
    const res = await this.api.send({ method: 'POST', path: 'service/tickets', json: body });
    return toPsaTicket(parse(ticketSchema, res.body, 'ticket'));
  }

  async getTicket(id: string): Promise<PsaTicket> {
    const tid = ticketId(id);
    const t = await this.api.get(`service/tickets/${tid}`, ticketSchema, 'ticket');
    if (touchedInRecord(t)) return toPsaTicket(t, true);
    // The record only shows the last updater; notes by anyone else are the durable trace.
    const enteredBy = typeof t._info?.enteredBy === 'string' ? t._info.enteredBy : null;
    if (!enteredBy) return toPsaTicket(t, false);
    const others = await this.api.get(`service/tickets/${tid}/notes/count`, countSchema, 'note count', {
      conditions: `member/identifier!=${cwString(enteredBy)}`,
    });
    return toPsaTicket(t, others.count > 0);
  }

  /** Owner, resources, hours, or a last updater other than the member that entered it (us). */
  async checkTicket(id: string, _watermark: string | null): Promise<TicketCheck> {
    const t = await this.api.get(`service/tickets/${ticketId(id)}`, ticketSchema, 'ticket');
    return { closed: t.closedFlag === true, touchedByOthers: touchedInRecord(t) };
  }

  async addTicketNote(id: string, text: string): Promise<TicketWrite> {
    await this.api.send({
      method: 'POST',
      path: `service/tickets/${ticketId(id)}/notes`,
      json: { text, internalAnalysisFlag: true, detailDescriptionFlag: false, resolutionFlag: false },
    });
    return { watermark: null };
  }

  async findNote(id: string, token: string): Promise<TicketWrite | null> {
    const res = await this.api.page(`service/tickets/${ticketId(id)}/notes`, idOnlySchema, 'note', { conditions: `text contains ${cwString(token)}`, pageSize: 1 });
    return res.items.length > 0 ? { watermark: null } : null;
  }

  async closeTicket(id: string, closedStatusId: string, note: string): Promise<PsaTicket> {
    return this.setStatus(id, closedStatusId, note, { resolutionFlag: true });
  }

  /**
   * Two calls: the status PATCH, then the resolution note. Our PATCH makes us the last updater,
   * so its answer can only show work through owner, resources and hours; with any of those the
   * status goes back (a third call) and the note is written as a plain note.
   */
  async closeTicketUnread(id: string, closedStatusId: string, openStatusId: string, note: string): Promise<UnreadClose> {
    const tid = ticketId(id);
    const openId = requireId(openStatusId, 'status');
    const closed = await this.patchStatus(tid, requireId(closedStatusId, 'closed status'));
    if (!workTraces(closed)) {
      await this.postNote(tid, note, { resolutionFlag: true });
      return { ticket: toPsaTicket(closed, false), leftOpen: false };
    }
    const reopened = await this.patchStatus(tid, openId);
    await this.postNote(tid, note, { internalAnalysisFlag: true });
    return { ticket: toPsaTicket(reopened, true), leftOpen: true };
  }

  async reopenTicket(id: string, openStatusId: string, note: string): Promise<PsaTicket> {
    return this.setStatus(id, openStatusId, note, { internalAnalysisFlag: true });
  }

  /** PATCH first (idempotent, retried safely), then the note, so a retry never re-posts a note before the status landed. */
  private async setStatus(id: string, statusId: string, note: string, flags: Record<string, boolean>): Promise<PsaTicket> {
    const tid = ticketId(id);
    const ticket = await this.patchStatus(tid, requireId(statusId, 'status'));
    await this.postNote(tid, note, flags);
    return toPsaTicket(ticket);
  }

  private async patchStatus(tid: number, statusId: number): Promise<CwTicket> {
    const res = await this.api.send({
      method: 'PATCH',
      path: `service/tickets/${tid}`,
      json: [{ op: 'replace', path: 'status', value: { id: statusId } }],
      idempotent: true,
    });
    return parse(ticketSchema, res.body, 'ticket');
  }

  private async postNote(tid: number, note: string, flags: Record<string, boolean>): Promise<void> {
    if (note.trim() === '') return;
    await this.api.send({ method: 'POST', path: `service/tickets/${tid}/notes`, json: { text: note, ...flags } });
  }

  /**
   * Registers an Owner-level Ticket callback. ConnectWise authenticates deliveries with its own
   * signing key (see webhook.ts), so `secret` is not sent to the PSA. Self-suppressed: our own
   * changes do not call us back.
   */
  async subscribeTicketEvents(url: string, _secret: string): Promise<string> {
    const res = await this.api.send({
      method: 'POST',
      path: 'system/callbacks',
      json: { description: 'psa-sync ticket events', url, objectId: 1, type: 'Ticket', level: 'Owner', inactiveFlag: false, isSelfSuppressedFlag: true },
    });
    return String(parse(idOnlySchema, res.body, 'callback').id);
  }

  async unsubscribeTicketEvents(subscriptionId: string): Promise<void> {
    if (!isCwId(subscriptionId)) return;
    try {
      await this.api.send({ method: 'DELETE', path: `system/callbacks/${subscriptionId}`, idempotent: true });
    } catch (err) {
      if (!(err instanceof PsaNotFoundError)) throw err; // already gone is what we wanted
    }
  }

  private additionPath(org: MappingValues): string {
    return `finance/agreements/${requireId(org.agreement, 'organization agreement')}/additions/${requireId(org.agreementAddition, 'organization agreement addition')}`;
  }

  private inventory: { configurations?: ConnectWiseConfigurations; companies?: ConnectWiseCompanies; contacts?: ConnectWiseContacts } = {};

  /** ConnectWise needs no per-connection settings here: our device id lives in `deviceIdentifier`. */
  configurations(): PsaConfigurationItems {
    return (this.inventory.configurations ??= new ConnectWiseConfigurations(this.api));
  }

  companies(): PsaCompanies {
    return (this.inventory.companies ??= new ConnectWiseCompanies(this.api));
  }

  contacts(): PsaContacts {
    return (this.inventory.contacts ??= new ConnectWiseContacts(this.api));
  }

  /** Every row of a list, in pages of the largest size; `calls` counts the pages. */
  private async listed<S extends z.ZodType>(counter: { calls: number }, path: string, schema: S, what: string, conditions?: string) {
    const rows = await this.api.all(path, schema, what, { pageSize: MAX_PAGE_SIZE, ...(conditions ? { conditions } : {}) });
    counter.calls += Math.floor(rows.length / MAX_PAGE_SIZE) + 1; // `all` stops at the first short page
    return rows;
  }

  /**
   * Agreements are listed by id in chunks (the additions are listed under them, and a cancelled
   * one bills nothing); additions live under their agreement, so they cost one list per agreement
   * (ConnectWise has no cross-agreement additions endpoint). Companies are `inactiveParents`'.
   */
  async billing(mappings: readonly MappingValues[]): Promise<BillingSnapshot> {
    const counter = { calls: 0 };
    const agreements = new Map<number, z.output<typeof agreementSchema>>();
    for (const ids of chunked(idsOf(mappings, 'agreement'), 200)) {
      for (const a of await this.listed(counter, 'finance/agreements', agreementSchema, 'agreement', `id in (${ids.join(',')})`)) agreements.set(a.id, a);
    }
    const additions = new Map<number, z.output<typeof additionSchema>>();
    await inPool([...agreements.keys()], 4, async (agreementId) => {
      for (const x of await this.listed(counter, `finance/agreements/${agreementId}/additions`, additionSchema, 'agreement addition')) additions.set(x.id, { ...x, agreementId });
    });
    const states = mappings.map((m) => {
      const agreement = agreements.get(Number(m.agreement));
      if (!agreement) return brokenBilling(`ConnectWise agreement ${m.agreement ?? '(none)'} was deleted`);
      if (agreement.cancelledFlag || (agreement.agreementStatus && agreement.agreementStatus !== 'Active')) return brokenBilling(`ConnectWise agreement ${agreement.name} is ${agreement.agreementStatus ?? 'cancelled'}`);
      const addition = additions.get(Number(m.agreementAddition));
      if (!addition || addition.agreementId !== agreement.id) return brokenBilling(`ConnectWise agreement addition ${m.agreementAddition ?? '(none)'} was deleted`);
      if (addition.cancelledDate && Date.parse(addition.cancelledDate) <= Date.now()) return brokenBilling(`ConnectWise agreement addition ${addition.id} is cancelled`);
      return billable(addition.quantity);
    });
    return { states, calls: counter.calls };
  }

  /** The mapped companies, listed by id in chunks: a deleted or inactive one breaks its mappings. */
  async inactiveParents(mappings: readonly MappingValues[]): Promise<ParentsSnapshot> {
    const counter = { calls: 0 };
    const companyRow = companySchema.extend({ status: refSchema.nullish() });
    const companies = new Map<number, z.output<typeof companyRow>>();
    for (const ids of chunked(idsOf(mappings, 'company'), 200)) {
      for (const c of await this.listed(counter, 'company/companies', companyRow, 'company', `id in (${ids.join(',')})`)) companies.set(c.id, c);
    }
    const inactive = mappings.map((m) => {
      if (!m.company) return null;
      const company = companies.get(Number(m.company));
      if (!company) return `ConnectWise company ${m.company} was deleted`;
      if (company.deletedFlag || /inactive/i.test(company.status?.name ?? '')) return `ConnectWise company ${company.name} is inactive`;
      return null;
    });
    return { inactive, calls: counter.calls };
  }

  /** One PATCH: the quantity is absolute, so the listed value only saves the read. */
  async setBillingQuantity(organization: MappingValues, quantity: number, current: BillingLine): Promise<QuantityChange> {
    if (!Number.isInteger(quantity) || quantity < 0) {
      throw new PsaValidationError('A seat quantity must be a whole number of at least 0', { details: [`quantity: ${quantity}`] });
    }
    if (current.quantity === quantity) return { previous: quantity, current: quantity };
    const res = await this.api.send({ method: 'PATCH', path: this.additionPath(organization), json: [{ op: 'replace', path: 'quantity', value: quantity }], idempotent: true });
    return { previous: current.quantity, current: parse(additionSchema, res.body, 'agreement addition').quantity };
  }

  async getQuantity(organization: MappingValues): Promise<number> {
    return (await this.api.get(this.additionPath(organization), additionSchema, 'agreement addition')).quantity;
  }

  async setQuantity(organization: MappingValues, quantity: number): Promise<QuantityChange> {
    if (!Number.isInteger(quantity) || quantity < 0) {
      throw new PsaValidationError('A seat quantity must be a whole number of at least 0', { details: [`quantity: ${quantity}`] });
    }
    const path = this.additionPath(organization);
    const current = await this.api.get(path, additionSchema, 'agreement addition');
    if (current.quantity === quantity) return { previous: current.quantity, current: quantity };
    const res = await this.api.send({ method: 'PATCH', path, json: [{ op: 'replace', path: 'quantity', value: quantity }], idempotent: true });
    return { previous: current.quantity, current: parse(additionSchema, res.body, 'agreement addition').quantity };
  }
}
