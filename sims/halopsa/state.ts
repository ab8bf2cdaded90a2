/**
 * The simulated HaloPSA tenant: data, issued tokens, the rolling-window request budget, the rules
 * of tickets and actions (statuses, closing, outcomes) and the mutators tests use to act as an
 * administrator or a technician in the Halo UI.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createSeed, TECHNICIAN_AGENT_ID } from './seed';
import type { HaloRight, HaloSimData, SimAction, SimApplication, SimTicket, SimWebhook } from './types';
import { WebhookDispatcher } from './webhooks';

export interface RateLimitConfig {
  maxRequests: number;
  windowMs: number;
  /** Halo's own 429 may come without Retry-After; tests switch it off to prove clients cope. */
  sendRetryAfter: boolean;
}

export interface IssuedToken {
  clientId: string;
  agentId: number;
  expiresAt: number;
}

/** A refusal the routes turn into Halo's answer. */
export class HaloSimError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

export type TicketEvent = 'New Ticket Logged' | 'Ticket Updated' | 'Ticket Status Changed' | 'Ticket Closed' | 'Action Added';

/** Halo's datetimes: SQL Server values serialised with fractional seconds and no zone. */
const nowIso = () => new Date().toISOString().replace(/Z$/, '');

export class HaloSimState {
  data: HaloSimData;
  readonly tokens = new Map<string, IssuedToken>();
  rateLimit: RateLimitConfig;
  tokenTtlSec: number;
  /** Hosted tenants need `?tenant=`; null accepts any (on-premise). */
  tenant: string | null;
  /** Timestamps of accepted requests in the rolling window. */
  readonly accepted: number[] = [];
  readonly webhooks: WebhookDispatcher;

  constructor(
    private readonly seed: () => HaloSimData = createSeed,
    opts: { rateLimit: RateLimitConfig; tokenTtlSec: number; tenant: string | null; webhookTimeoutMs?: number },
  ) {
    this.data = seed();
    this.rateLimit = { ...opts.rateLimit };
    this.tokenTtlSec = opts.tokenTtlSec;
    this.tenant = opts.tenant;
    this.webhooks = new WebhookDispatcher(opts.webhookTimeoutMs);
  }

  /** Back to the seed: data, tokens and the request window. */
  reseed(): void {
    this.data = this.seed();
    this.tokens.clear();
    this.accepted.length = 0;
  }

  // ---- auth ---------------------------------------------------------------------------------

  issueToken(clientId: string, agentId: number): { token: string; expiresIn: number } {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { clientId, agentId, expiresAt: Date.now() + this.tokenTtlSec * 1000 });
    return { token, expiresIn: this.tokenTtlSec };
  }

  /** The API application with this client id (ours or another tool's). */
  applicationOf(clientId: string | null): SimApplication | undefined {
    return [this.data.application, ...this.data.otherApplications].find((a) => a.client_id === clientId);
  }

  /** The agent a bearer token acts as, or null when it is unknown, expired or its application is off. */
  agentForToken(token: string): number | null {
    const t = this.tokens.get(token);
    if (!t || t.expiresAt <= Date.now()) return null;
    const app = this.applicationOf(t.clientId);
    const agent = this.data.agents.find((a) => a.id === t.agentId);
    if (!app || !app.active || !agent || agent.inactive) return null;
    return t.agentId;
  }

  expireAllTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  // ---- rate limit ---------------------------------------------------------------------------

  /** Counts an accepted request, or returns the ms until a slot frees up. */
  admit(now = Date.now()): { ok: true } | { ok: false; retryAfterMs: number } {
    const cutoff = now - this.rateLimit.windowMs;
    while (this.accepted.length > 0 && (this.accepted[0] as number) <= cutoff) this.accepted.shift();
    if (this.accepted.length >= this.rateLimit.maxRequests) {
      return { ok: false, retryAfterMs: (this.accepted[0] as number) + this.rateLimit.windowMs - now };
    }
    this.accepted.push(now);
    return { ok: true };
  }

  // ---- administrator mutators -----------------------------------------------------------------

  /** Unticks "Active" on the API application: its tokens stop working and new ones are refused. */
  setApplicationActive(active: boolean): void {
    this.data.application.active = active;
  }

  setAgentInactive(agentId: number, inactive: boolean): void {
    const agent = this.data.agents.find((a) => a.id === agentId);
    if (agent) agent.inactive = inactive;
  }

  setRight(right: HaloRight, granted: boolean): void {
    this.data.rights[right] = granted;
  }

  /** The role keeps "Read Only" access to `right`: writes answer 403. */
  setReadOnly(right: HaloRight, readOnly: boolean): void {
    this.data.readOnly[right] = readOnly;
  }

  deleteLicence(id: number): boolean {
    const before = this.data.licences.length;
    this.data.licences = this.data.licences.filter((l) => l.id !== id);
    return this.data.licences.length < before;
  }

  ticketsWithMarker(marker: string): SimTicket[] {
    return this.data.tickets.filter((t) => t.third_party_id === marker);
  }

  ticket(id: number): SimTicket | undefined {
    return this.data.tickets.find((t) => t.id === id);
  }

  // ---- technician mutators (the Halo UI) -----------------------------------------------------

  technicianNote(ticketId: number, text: string, agentId = TECHNICIAN_AGENT_ID): SimAction {
    return this.addAction({ ticket_id: ticketId, outcome_id: 7, note: text, hiddenfromuser: true }, agentId);
  }

  assign(ticketId: number, agentId = TECHNICIAN_AGENT_ID): void {
    this.updateTicket({ id: ticketId, agent_id: agentId }, agentId);
  }

  technicianClose(ticketId: number, statusId = 9, agentId = TECHNICIAN_AGENT_ID): SimAction {
    return this.addAction({ ticket_id: ticketId, outcome_id: 4, note: 'Closed by technician', new_status: statusId, hiddenfromuser: false }, agentId);
  }

  // ---- ticket rules ---------------------------------------------------------------------------

  createTicket(input: Record<string, unknown>, byAgentId: number): SimTicket {
    const summary = typeof input.summary === 'string' ? input.summary.trim() : '';
    if (!summary) throw new HaloSimError(400, { '[0].summary': 'A Summary must be entered' });
    const clientId = num(input.client_id);
    const client = this.data.clients.find((c) => c.id === clientId);
    if (!client) throw new HaloSimError(400, { errors: [`Customer ${input.client_id ?? '(none)'} does not exist`] });
    const typeId = num(input.tickettype_id) ?? 1;
    const type = this.data.ticketTypes.find((t) => t.id === typeId);
    if (!type) throw new HaloSimError(400, 'Invalid Ticket Type');
    const slaId = num(input.sla_id) ?? (type.default_sla > 0 ? type.default_sla : 1);
    if (!this.data.slas.some((s) => s.id === slaId)) throw new HaloSimError(400, 'Invalid SLA');
    const priorityId = num(input.priority_id) ?? 3;
    // `_novalidate` is what integrations send to skip Halo's field checks; the SLA/priority pairing is one.
    if (input._novalidate !== true && !this.data.priorities.some((p) => p.slaid === slaId && p.priorityid === priorityId)) {
      throw new HaloSimError(400, `Priority ${priorityId} is not valid for SLA ${slaId}`);
    }
    const statusId = num(input.status_id) ?? type.initial_status;
    const status = this.data.statuses.find((s) => s.id === statusId);
    if (!status) throw new HaloSimError(400, { '[0].status_id': `Status ${input.status_id} does not exist` });
    const lookup = input.userlookup && typeof input.userlookup === 'object' ? (input.userlookup as Record<string, unknown>) : null;
    const userId = num(input.user_id) ?? (lookup && num(lookup.id) !== undefined && num(lookup.id) !== -1 ? (num(lookup.id) as number) : client.id * 100);
    const details = typeof input.details === 'string' ? input.details : stripHtml(typeof input.details_html === 'string' ? input.details_html : '');
    const now = nowIso();
    const ticket: SimTicket = {
      id: this.data.nextId.ticket++,
      summary,
      details,
      details_html: typeof input.details_html === 'string' ? input.details_html : `<p>${details}</p>`,
      status_id: statusId,
      tickettype_id: typeId,
      sla_id: slaId,
      priority_id: priorityId,
      client_id: client.id,
      client_name: client.name,
      site_id: num(input.site_id) ?? client.main_site_id,
      user_id: userId,
      user_name: typeof input.user_name === 'string' ? input.user_name : 'General User',
      agent_id: num(input.agent_id) ?? 0,
      team: typeof input.team === 'string' ? input.team : '',
      third_party_id: typeof input.third_party_id === 'string' ? input.third_party_id : null,
      reference: typeof input.reference === 'string' ? input.reference : null,
      source: num(input.source) ?? 0,
      dateoccurred: now,
      datecreated: now,
      dateclosed: status.closed ? now : null,
      hasbeenclosed: status.closed,
      lastactiondate: now,
      timetaken: 0,
    };
    this.data.tickets.push(ticket);
    this.logSystemAction(ticket.id, byAgentId, 'New Ticket Logged');
    this.emit('New Ticket Logged', ticket);
    return ticket;
  }

  updateTicket(input: Record<string, unknown>, byAgentId: number): SimTicket {
    const id = num(input.id) as number;
    const ticket = this.ticket(id);
    if (!ticket) throw new HaloSimError(404, `Ticket ${input.id} not found`);
    let statusChanged = false;
    if (input.status_id !== undefined) statusChanged = this.applyStatus(ticket, num(input.status_id), byAgentId);
    if (typeof input.summary === 'string' && input.summary.trim()) ticket.summary = input.summary.trim();
    if (typeof input.details_html === 'string') ticket.details_html = input.details_html;
    if (input.agent_id !== undefined) ticket.agent_id = num(input.agent_id) ?? 0;
    if (input.priority_id !== undefined) ticket.priority_id = num(input.priority_id) ?? ticket.priority_id;
    if (typeof input.third_party_id === 'string') ticket.third_party_id = input.third_party_id;
    ticket.lastactiondate = nowIso();
    this.emit(statusChanged ? (ticket.hasbeenclosed ? 'Ticket Closed' : 'Ticket Status Changed') : 'Ticket Updated', ticket);
    return ticket;
  }

  addAction(input: Record<string, unknown>, byAgentId: number): SimAction {
    const ticket = this.ticket(num(input.ticket_id) ?? -1);
    if (!ticket) throw new HaloSimError(404, `Ticket ${input.ticket_id ?? '(none)'} not found`);
    const outcome = this.data.outcomes.find((o) => o.id === num(input.outcome_id) || (typeof input.outcome === 'string' && o.outcome.toLowerCase() === input.outcome.toLowerCase()));
    if (!outcome) throw new HaloSimError(400, 'An Outcome must be entered for this Action');
    const agent = this.data.agents.find((a) => a.id === byAgentId);
    const noteHtml = typeof input.note_html === 'string' ? input.note_html : typeof input.note === 'string' ? `<p>${input.note}</p>` : '';
    const newStatus = num(input.new_status) ?? null;
    const action: SimAction = {
      id: this.data.nextId.action++,
      ticket_id: ticket.id,
      outcome_id: outcome.id,
      outcome: outcome.outcome,
      who: agent?.name ?? 'Unknown',
      who_agentid: byAgentId,
      who_type: 1,
      note: typeof input.note === 'string' ? input.note : stripHtml(noteHtml),
      note_html: noteHtml,
      hiddenfromuser: input.hiddenfromuser === true,
      actiondatecreated: nowIso(),
      new_status: newStatus,
      timetaken: typeof input.timetaken === 'number' ? input.timetaken : 0,
      systemaction: false,
    };
    // Validate the status before saving anything, as Halo refuses the whole action.
    if (newStatus !== null && !this.data.statuses.some((s) => s.id === newStatus)) {
      throw new HaloSimError(400, { '[0].new_status': `Status ${newStatus} does not exist` });
    }
    this.data.actions.push(action);
    ticket.timetaken += action.timetaken;
    ticket.lastactiondate = action.actiondatecreated;
    const statusChanged = newStatus !== null && this.applyStatus(ticket, newStatus, byAgentId);
    this.emit(statusChanged ? (ticket.hasbeenclosed ? 'Ticket Closed' : 'Ticket Status Changed') : 'Action Added', ticket, action);
    return action;
  }

  addWebhook(input: Record<string, unknown>): SimWebhook {
    const url = typeof input.url === 'string' ? input.url.trim() : '';
    if (!/^https?:\/\//i.test(url)) throw new HaloSimError(400, { '[0].url': 'A valid URL must be entered' });
    const events = Array.isArray(input.events)
      ? input.events
          .map((e) => (typeof e === 'string' ? e : e && typeof e === 'object' ? ((e as Record<string, unknown>).name ?? (e as Record<string, unknown>).event_name) : null))
          .filter((e): e is string => typeof e === 'string')
      : [];
    if (events.length === 0) throw new HaloSimError(400, 'At least one event must be selected for this Webhook');
    const hook: SimWebhook = {
      id: randomUUID(),
      name: typeof input.name === 'string' ? input.name : 'Webhook',
      url,
      method: 'POST',
      content_type: 'application/json',
      authentication_type: String(input.authentication_type ?? 'none'),
      basic_username: typeof input.basic_username === 'string' ? input.basic_username : '',
      basic_password: typeof input.basic_password === 'string' ? input.basic_password : '',
      active: input.active !== false,
      events,
      payload_type: typeof input.payload_type === 'string' ? input.payload_type : 'full',
    };
    this.data.webhooks.push(hook);
    return hook;
  }

  /** Sets the status; closing stamps `hasbeenclosed`/`dateclosed`, re-opening clears them. */
  private applyStatus(ticket: SimTicket, statusId: number | undefined, byAgentId: number): boolean {
    const status = this.data.statuses.find((s) => s.id === statusId);
    if (!status) throw new HaloSimError(400, { '[0].status_id': `Status ${statusId} does not exist` });
    if (ticket.status_id === status.id) return false;
    ticket.status_id = status.id;
    ticket.hasbeenclosed = status.closed;
    ticket.dateclosed = status.closed ? nowIso() : null;
    this.logSystemAction(ticket.id, byAgentId, `Status changed to ${status.name}`);
    return true;
  }

  private logSystemAction(ticketId: number, agentId: number, note: string): void {
    const agent = this.data.agents.find((a) => a.id === agentId);
    this.data.actions.push({
      id: this.data.nextId.action++, ticket_id: ticketId, outcome_id: 0, outcome: 'System', who: agent?.name ?? 'System', who_agentid: agentId, who_type: 1,
      note, note_html: `<p>${note}</p>`, hiddenfromuser: true, actiondatecreated: nowIso(), new_status: null, timetaken: 0, systemaction: true,
    });
  }

  private emit(event: TicketEvent, ticket: SimTicket, action?: SimAction): void {
    for (const hook of this.data.webhooks) {
      if (!hook.active || !hook.events.some((e) => e.toLowerCase() === event.toLowerCase())) continue;
      const payload: Record<string, unknown> =
        hook.payload_type === 'eventinfo'
          ? {}
          : hook.payload_type === 'small'
            ? { ticket: { id: ticket.id, summary: ticket.summary, status_id: ticket.status_id, client_id: ticket.client_id, hasbeenclosed: ticket.hasbeenclosed } }
            : { ticket: { ...ticket }, ...(action ? { action: { ...action } } : {}) };
      this.webhooks.send(
        { id: hook.id, url: hook.url, basicUsername: hook.basic_username, basicPassword: hook.basic_password, authenticationType: hook.authentication_type },
        event,
        ticket.id,
        payload,
      );
    }
  }
}

/** Halo accepts ids as numbers or numeric strings. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

function stripHtml(html: string): string {
  return html.replace(/<br\s*\/?>/gi, '\n').replace(/<[^>]+>/g, '').trim();
}
