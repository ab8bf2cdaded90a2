/**
 * The simulator's mutable state plus the mutators tests use to act as the MSP would in the
 * PSA's UI (lock the API member, remove a security-role right, delete a record, a technician's
 * note or close). Plain data, no timers; reset() restores the seed.
 */
import { CallbackDispatcher, type DeliveryOptions } from './callbacks';
import { API_MEMBER_IDENTIFIER, TECHNICIAN_IDENTIFIER, createSeed, fullRights } from './seed';
import { addNote, patchTicket } from './tickets';
import type { AccessLevel, Member, Module, SimData, Ticket } from './types';

export type CapabilityName = 'tickets' | 'companies' | 'billing' | 'catalog';

/** The security-role module behind each capability the integration needs. */
export const CAPABILITY_MODULES: Record<CapabilityName, Module> = {
  tickets: 'Service Desk > Service Tickets',
  companies: 'Companies > Company Maintenance',
  billing: 'Finance > Agreements',
  catalog: 'Procurement > Product Catalog',
};

export interface RateLimitConfig {
  maxRequests: number;
  windowMs: number;
}

export class ConnectWiseSimState {
  data: SimData;
  /** Set once the server listens: the origin used in Link headers' fallbacks and key_url. */
  baseUrl = '';
  readonly dispatcher: CallbackDispatcher;
  rateLimit: RateLimitConfig;
  /** Extra delay inside every API handler (makes concurrency observable). */
  latencyMs: number;
  /** Timestamps of accepted API requests in the current window. */
  readonly accepted: number[] = [];
  readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  /** Largest number of accepted requests seen inside any one rate window. */
  peakInWindow = 0;

  constructor(
    private readonly seed: () => SimData = createSeed,
    opts: { rateLimit: RateLimitConfig; latencyMs: number; delivery: DeliveryOptions },
  ) {
    this.data = seed();
    this.rateLimit = { ...opts.rateLimit };
    this.latencyMs = opts.latencyMs;
    this.dispatcher = new CallbackDispatcher(opts.delivery);
  }

  reset(): void {
    this.data = this.seed();
    this.accepted.length = 0;
    this.inFlight.clear();
    this.maxInFlight.clear();
    this.peakInWindow = 0;
    this.dispatcher.deliveries.length = 0;
  }

  apiMember(): Member {
    return this.member(API_MEMBER_IDENTIFIER);
  }

  technician(): Member {
    return this.member(TECHNICIAN_IDENTIFIER);
  }

  member(identifier: string): Member {
    const m = this.data.members.find((x) => x.identifier === identifier);
    if (!m) throw new Error(`no member ${identifier}`);
    return m;
  }

  lockApiUser(): void {
    this.apiMember().inactiveFlag = true;
  }

  unlockApiUser(): void {
    this.apiMember().inactiveFlag = false;
  }

  /** Removes `levels` (all when absent) of `module` from the API member's security role. */
  revokeRight(module: Module, levels?: AccessLevel[]): void {
    const rights = this.apiMember().rights.get(module);
    if (!rights) return;
    if (!levels) rights.clear();
    else for (const l of levels) rights.delete(l);
  }

  revokeCapability(capability: CapabilityName): void {
    this.revokeRight(CAPABILITY_MODULES[capability]);
  }

  restoreRights(): void {
    this.apiMember().rights = fullRights();
  }

  deleteAddition(additionId: number): void {
    this.data.additions = this.data.additions.filter((a) => a.id !== additionId);
  }

  deleteCompany(companyId: number): void {
    const c = this.data.companies.find((x) => x.id === companyId);
    if (c) c.deletedFlag = true;
  }

  rotateSigningKey(): string {
    const id = `key-${this.data.signingKeys.size + 1}`;
    this.data.signingKeys.set(id, Buffer.from(`signing-key-${this.data.companyId}-${id}`).toString('base64'));
    this.data.currentKeyId = id;
    return id;
  }

  ticket(id: number): Ticket {
    const t = this.data.tickets.find((x) => x.id === id);
    if (!t) throw new Error(`no ticket ${id}`);
    return t;
  }

  ticketsWithMarker(marker: string): number {
    return this.data.tickets.filter((t) => t.externalXRef === marker).length;
  }

  /** A technician adds a discussion note in the PSA UI. */
  technicianNote(ticketId: number, text = 'Looking into this now.'): void {
    const tech = this.technician();
    const t = this.ticket(ticketId);
    const r = addNote(this.data, t, { text, detailDescriptionFlag: true }, tech);
    if (!r.ok) throw new Error(r.message);
    this.ticketChanged(t, 'updated', tech);
  }

  /** A technician assigns themselves (ticket resources). */
  technicianAssign(ticketId: number): void {
    const tech = this.technician();
    const t = this.ticket(ticketId);
    const r = patchTicket(this.data, t, [{ op: 'replace', path: 'resources', value: tech.identifier }], tech);
    if (!r.ok) throw new Error(r.message);
    this.ticketChanged(t, 'updated', tech);
  }

  /** A technician closes the ticket with the board's first closed status; waits for callback deliveries. */
  async technicianClose(ticketId: number, statusId?: number): Promise<void> {
    const tech = this.technician();
    const t = this.ticket(ticketId);
    const closed = statusId ?? this.data.statuses.find((s) => s.board.id === t.board.id && s.closedStatus && !s.inactive)?.id;
    const r = patchTicket(this.data, t, [{ op: 'replace', path: 'status', value: { id: closed } }], tech);
    if (!r.ok) throw new Error(r.message);
    this.ticketChanged(t, 'updated', tech);
    await this.dispatcher.flush();
  }

  keyUrl(): string {
    return `${this.baseUrl}/${this.data.codebase}system/callbackkey/index.rails?id=${this.data.currentKeyId}`;
  }

  ticketChanged(ticket: Ticket, action: 'added' | 'updated' | 'deleted', actor: Member): void {
    this.dispatcher.dispatch({
      callbacks: this.data.callbacks,
      ticket: structuredClone(ticket),
      action,
      actor,
      companyId: this.data.companyId,
      fromUrl: this.baseUrl.replace(/^https?:\/\//, ''),
      keyUrl: this.keyUrl(),
      signingKey: this.data.signingKeys.get(this.data.currentKeyId) ?? '',
    });
  }
}
