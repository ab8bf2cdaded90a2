/**
 * In-memory Autotask database behind the simulator, with the mutations tests and the harness
 * need: a technician's note or close, a locked API user, a revoked security-level right, a
 * deleted contract service. Ticket changes by anyone but an excluded resource go out as signed
 * webhooks to active TicketWebhooks that have a subscribed field.
 */
import { randomUUID } from 'node:crypto';
import { signWebhookDelivery } from './signing';
import { createSeed, currentPeriod, type AutotaskSeed, type Ticket, type TicketNote } from './seed';

/** Security-level areas the simulator checks; `services` is Admin → Products, Services & Inventory (products too). */
export type AutotaskRight = 'tickets' | 'companies' | 'contracts' | 'services' | 'configurationItems';

export interface TicketWebhook {
  id: number;
  guid: string;
  name: string;
  webhookUrl: string;
  deactivationUrl: string;
  secretKey: string;
  isActive: boolean;
  fields: number[];
  excludedResources: number[];
}

export interface Delivery {
  url: string;
  status: number | 'error';
  body: string;
}

export class AutotaskSimState {
  seed: AutotaskSeed;
  tickets = new Map<number, Ticket>();
  notes: TicketNote[] = [];
  webhooks = new Map<number, TicketWebhook>();
  deliveries: Delivery[] = [];
  locked = false;
  inactive = false;
  revoked = new Set<AutotaskRight>();
  /** Areas the API user may read but not add to or edit (403 on writes). */
  readOnly = new Set<AutotaskRight>();
  /** Areas whose Add is switched off (View and Edit stay). */
  addDenied = new Set<AutotaskRight>();
  private nextId = 100_000;
  private sequence = 0;
  private pending: Promise<unknown>[] = [];

  constructor(seed: AutotaskSeed = createSeed()) {
    this.seed = structuredClone(seed);
  }

  reset(): void {
    this.seed = createSeed();
    this.tickets.clear();
    this.notes = [];
    this.webhooks.clear();
    this.deliveries = [];
    this.locked = false;
    this.inactive = false;
    this.revoked.clear();
    this.readOnly.clear();
    this.addDenied.clear();
  }

  id(): number {
    return (this.nextId += 1);
  }

  lockApiUser(): void {
    this.locked = true;
  }

  /** An administrator clears the API user's Active checkbox. */
  deactivateApiUser(): void {
    this.inactive = true;
  }

  /** Opens the current billing period (0 units) for a new contract service. */
  addPeriod(cs: { id: number; contractID: number; serviceID: number }): void {
    this.seed.units.push({ id: this.id(), contractID: cs.contractID, contractServiceID: cs.id, serviceID: cs.serviceID, ...currentPeriod(), units: 0 });
  }

  unlockApiUser(): void {
    this.locked = false;
    this.inactive = false;
  }

  revokeRight(right: AutotaskRight): void {
    this.revoked.add(right);
  }

  /** The security level keeps View but loses Add / Edit for `right`. */
  revokeWrites(right: AutotaskRight): void {
    this.readOnly.add(right);
  }

  /** The security level keeps View and Edit but loses Add for `right`. */
  revokeAdd(right: AutotaskRight): void {
    this.addDenied.add(right);
  }

  restoreRights(): void {
    this.revoked.clear();
    this.readOnly.clear();
    this.addDenied.clear();
  }

  /** Configuration items carrying `value` in the UDF `label` (duplicate checks in tests). */
  itemsWithUdf(label: string, value: string): number {
    return this.seed.configurationItems.filter((ci) => ci.userDefinedFields.some((u) => u.name.toLowerCase() === label.toLowerCase() && u.value === value)).length;
  }

  deleteContractService(id: number): void {
    this.seed.contractServices = this.seed.contractServices.filter((cs) => cs.id !== id);
    this.seed.units = this.seed.units.filter((u) => u.contractServiceID !== id);
  }

  ticket(id: number): Ticket {
    const t = this.tickets.get(id);
    if (!t) throw new Error(`no ticket ${id}`);
    return t;
  }

  ticketsWithMarker(marker: string): number {
    return [...this.tickets.values()].filter((t) => t.externalID === marker || t.rmmAlertID === marker).length;
  }

  isClosed(ticketId: number): boolean {
    return this.ticket(ticketId).status === 5;
  }

  /** A technician adds a note in the Autotask UI. */
  technicianNote(ticketId: number, text = 'Checked the backup agent with the customer.'): void {
    this.addNote(ticketId, { title: 'Technician note', description: text, noteType: 1, publish: 1 }, this.seed.technician.id);
  }

  /** A technician completes the ticket in the Autotask UI; resolves once webhooks are delivered. */
  async technicianClose(ticketId: number): Promise<void> {
    this.updateTicket(ticketId, { status: 5 }, this.seed.technician.id);
    await this.flush();
  }

  addNote(ticketId: number, body: { title: string; description: string; noteType: number; publish: number }, by: number): TicketNote {
    const t = this.ticket(ticketId);
    const note: TicketNote = { id: this.id(), ticketID: ticketId, ...body, creatorResourceID: by, createDateTime: new Date().toISOString() };
    this.notes.push(note);
    t.lastActivityDate = note.createDateTime;
    t.lastActivityResourceID = by;
    return note;
  }

  createTicket(values: Omit<Ticket, 'id' | 'ticketNumber' | 'createDate' | 'completedDate' | 'lastActivityDate' | 'lastActivityResourceID' | 'creatorResourceID'>, by: number): Ticket {
    const id = this.id();
    const now = new Date();
    const ticket: Ticket = {
      ...values,
      id,
      ticketNumber: `T${now.toISOString().slice(0, 10).replace(/-/g, '')}.${String(this.tickets.size + 1).padStart(4, '0')}`,
      createDate: now.toISOString(),
      completedDate: values.status === 5 ? now.toISOString() : null,
      lastActivityDate: now.toISOString(),
      lastActivityResourceID: by,
      creatorResourceID: by,
    };
    this.tickets.set(id, ticket);
    this.notify('Create', ticket, by);
    return ticket;
  }

  updateTicket(ticketId: number, changes: Partial<Ticket>, by: number): Ticket {
    const t = this.ticket(ticketId);
    Object.assign(t, changes);
    if (changes.status !== undefined) t.completedDate = changes.status === 5 ? new Date().toISOString() : null;
    t.lastActivityDate = new Date().toISOString();
    t.lastActivityResourceID = by;
    this.notify('Update', t, by);
    return t;
  }

  /** Waits for webhook deliveries in flight. */
  async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.allSettled(pending);
  }

  private notify(action: 'Create' | 'Update', ticket: Ticket, by: number): void {
    for (const hook of this.webhooks.values()) {
      // A webhook with no subscribed field is not ready: Autotask sends it nothing.
      if (!hook.isActive || hook.fields.length === 0 || hook.excludedResources.includes(by)) continue;
      const body = JSON.stringify({
        Action: action,
        Guid: hook.guid,
        EntityType: 'Ticket',
        Id: ticket.id,
        Fields: { TicketNumber: ticket.ticketNumber, Title: ticket.title, Status: String(ticket.status) },
        EventTime: new Date().toISOString(),
        SequenceNumber: (this.sequence += 1),
        PersonID: by,
      });
      const delivery = fetch(hook.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hook-signature': signWebhookDelivery(hook.secretKey, body) },
        body,
        signal: AbortSignal.timeout(5000),
      })
        .then((r) => this.deliveries.push({ url: hook.webhookUrl, status: r.status, body }))
        .catch(() => this.deliveries.push({ url: hook.webhookUrl, status: 'error', body }));
      this.pending.push(delivery);
    }
  }

  newWebhookGuid(): string {
    return randomUUID();
  }
}
