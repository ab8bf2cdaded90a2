/**
 * Service tickets in HaloPSA. Our idempotency marker goes into the ticket's `third_party_id`
 * (searchable with `GET /Tickets?third_party_id=`). Notes are Actions with outcome 7 (the built-in
 * "Internal Note"; Halo refuses actions without an outcome). Closing and re-opening are one Action
 * each: the note with `new_status` set to the mapped status.
 *
 * The ticket record does not say who changed it last, only when (`lastactiondate`), so each of
 * our writes hands back that stamp as a watermark; a later stamp on the record means someone
 * else acted, and only then is the action history read to find out who.
 */
import { PsaConfigError, PsaNotFoundError, PsaUnavailableError } from '../core/errors';
import type { PsaTicket, TicketCheck, TicketDraft, TicketWrite } from '../core/types';
import type { HaloApi } from './client';
import type { HaloIdentity } from './identity';
import { isHaloId } from './picklists';
import { actionSchema, ticketSchema, type HaloAction, type HaloTicket } from './schemas';

/** Halo's built-in "Internal Note" outcome. */
export const INTERNAL_NOTE_OUTCOME_ID = 7;
const SUMMARY_MAX = 250;

export function toNoteHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return `<p>${escaped.replace(/\r?\n/g, '<br>')}</p>`;
}

const isSomeAgent = (id: string | null | undefined): id is string => !!id && id !== '0' && id !== '-1';

/**
 * Someone else worked on the ticket: an action by another agent, or an assignment to one.
 * `meId` null means we do not know ourselves yet: any assignment then counts.
 */
export function touchedByOthers(ticket: HaloTicket, actions: readonly HaloAction[] | null, meId: string | null): boolean {
  const assignedToOther = isSomeAgent(ticket.agent_id) && ticket.agent_id !== meId;
  const otherAction = (actions ?? []).some((a) => isSomeAgent(a.who_agentid) && a.who_agentid !== meId);
  return assignedToOther || otherAction;
}

export function toPsaTicket(ticket: HaloTicket, touched: boolean): PsaTicket {
  return {
    id: ticket.id,
    number: null,
    marker: ticket.third_party_id ?? null,
    statusId: ticket.status_id,
    closed: ticket.hasbeenclosed === true,
    touchedByOthers: touched,
    watermark: ticket.lastactiondate ?? null,
  };
}

/**
 * `stamp` is later than `watermark` (or cannot be compared, which is treated as later). A change
 * in the same clock tick as our write (milliseconds on Halo) is indistinguishable from it.
 */
export function changedSince(stamp: string | null | undefined, watermark: string | null): boolean {
  if (!stamp || !watermark) return true;
  const a = Date.parse(stamp);
  const b = Date.parse(watermark);
  return Number.isFinite(a) && Number.isFinite(b) ? a > b : stamp !== watermark;
}

function parseAction(body: unknown): HaloAction {
  const parsed = actionSchema.safeParse(body);
  if (!parsed.success) throw new PsaUnavailableError('HaloPSA returned an unexpected action shape');
  return parsed.data;
}

function parseTicket(body: unknown): HaloTicket {
  const parsed = ticketSchema.safeParse(body);
  if (!parsed.success) throw new PsaUnavailableError('HaloPSA returned an unexpected ticket shape');
  return parsed.data;
}

function requireValue(values: Record<string, string>, name: string, form: string): number {
  const v = values[name]?.trim();
  if (!v || !isHaloId(v)) throw new PsaConfigError(`The HaloPSA ${form} mapping has no valid "${name}"`);
  return Number(v);
}

export class HaloTickets {
  constructor(
    private readonly api: HaloApi,
    private readonly identity: HaloIdentity,
  ) {}

  async findByMarker(marker: string): Promise<PsaTicket | null> {
    const { items } = await this.api.list('Tickets', 'tickets', ticketSchema, {
      third_party_id: marker,
      pageinate: true,
      page_size: 10,
      page_no: 1,
    });
    // Compare exactly: a build that treats the filter loosely must not hand us someone else's ticket.
    const match = items
      .filter((t) => t.third_party_id === marker)
      .sort((a, b) => Number(a.id) - Number(b.id))[0];
    if (!match) return null;
    return toPsaTicket(match, await this.touched(match));
  }

  async create(draft: TicketDraft): Promise<PsaTicket> {
    const record = {
      summary: draft.title.slice(0, SUMMARY_MAX),
      details_html: toNoteHtml(draft.description),
      client_id: requireValue(draft.organization, 'customer', 'organization'),
      tickettype_id: requireValue(draft.ticketMapping, 'ticketType', 'ticket'),
      sla_id: requireValue(draft.ticketMapping, 'sla', 'ticket'),
      priority_id: requireValue(draft.ticketMapping, 'priority', 'ticket'),
      status_id: requireValue(draft.ticketMapping, 'status', 'ticket'),
      third_party_id: draft.marker,
      // The customer's General User, as CIPP does, so no site or user id is needed.
      userlookup: { id: -1, lookupdisplay: 'Enter Details Manually' },
      dont_do_rules: true,
      donotapplytemplateintheapi: true,
    };
    const saved = parseTicket(await this.api.upsert('Tickets', record, { idempotent: false }));
    return toPsaTicket(saved, false);
  }

  async get(ticketId: string): Promise<PsaTicket> {
    const id = this.checkId(ticketId);
    const [ticket, actions, me] = await Promise.all([this.api.one(`Tickets/${id}`, ticketSchema), this.actions(id), this.identity.me()]);
    if (!ticket) throw new PsaNotFoundError(`HaloPSA ticket ${id} does not exist`);
    return toPsaTicket(ticket, touchedByOthers(ticket, actions, me.id));
  }

  /**
   * One read in the usual case: the record's assignment, closed flag and last action stamp.
   * When the stamp moved past our watermark (or we have none), the action history says whether
   * that was someone else or an earlier attempt of ours whose answer was lost.
   */
  async check(ticketId: string, watermark: string | null): Promise<TicketCheck> {
    const id = this.checkId(ticketId);
    const [ticket, me] = await Promise.all([this.api.one(`Tickets/${id}`, ticketSchema), this.identity.me()]);
    if (!ticket) throw new PsaNotFoundError(`HaloPSA ticket ${id} does not exist`);
    const closed = ticket.hasbeenclosed === true;
    if (touchedByOthers(ticket, null, me.id)) return { closed, touchedByOthers: true };
    if (!changedSince(ticket.lastactiondate, watermark)) return { closed, touchedByOthers: false };
    return { closed, touchedByOthers: touchedByOthers(ticket, await this.actions(id), me.id) };
  }

  async addNote(ticketId: string, text: string): Promise<TicketWrite> {
    const id = this.checkId(ticketId);
    const saved = parseAction(
      await this.api.upsert('Actions', { ticket_id: Number(id), outcome_id: INTERNAL_NOTE_OUTCOME_ID, note_html: toNoteHtml(text), hiddenfromuser: true }, { idempotent: false }),
    );
    return { watermark: saved.actiondatecreated ?? null };
  }

  /** Halo filters actions by ticket only, so the token is looked for in the ticket's own actions. */
  async findNote(ticketId: string, token: string): Promise<TicketWrite | null> {
    const id = this.checkId(ticketId);
    const hit = (await this.actions(id)).find((a) => (a.note_html ?? a.note ?? '').includes(token));
    return hit ? { watermark: hit.actiondatecreated ?? null } : null;
  }

  /** One Action: the note with `new_status`, so status and note land (or fail) together. */
  async setStatus(ticketId: string, statusId: string, note: string, closing: boolean): Promise<PsaTicket> {
    const id = this.checkId(ticketId);
    if (!isHaloId(statusId)) throw new PsaConfigError('The HaloPSA status mapping is not a valid status id');
    const text = note.trim() || (closing ? 'Closed by the backup platform.' : 'Re-opened by the backup platform.');
    const saved = parseAction(
      await this.api.upsert(
        'Actions',
        { ticket_id: Number(id), outcome_id: INTERNAL_NOTE_OUTCOME_ID, new_status: Number(statusId), note_html: toNoteHtml(text), hiddenfromuser: true },
        { idempotent: false },
      ),
    );
    // The mapped statuses were checked against Halo's list when the ticket mapping was saved.
    return { id, number: null, marker: null, statusId, closed: closing, touchedByOthers: false, watermark: saved.actiondatecreated ?? null };
  }

  private async touched(ticket: HaloTicket): Promise<boolean> {
    const [actions, me] = await Promise.all([this.actions(ticket.id), this.identity.me()]);
    return touchedByOthers(ticket, actions, me.id);
  }

  private async actions(ticketId: string): Promise<HaloAction[]> {
    return (await this.api.list('Actions', 'actions', actionSchema, { ticket_id: ticketId, excludesys: true })).items;
  }

  private checkId(ticketId: string): string {
    const id = ticketId.trim();
    if (!isHaloId(id)) throw new PsaNotFoundError(`"${ticketId.slice(0, 40)}" is not a HaloPSA ticket id`);
    return id;
  }
}
