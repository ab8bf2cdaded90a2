/**
 * Side effects of the service-ticket workflow: where an organization's tickets go (its mapping),
 * and every PSA ticket write — each followed by the `tickets` row, an audit-log row with the
 * vendor's answer and the alerts' outcomes, sent together as one statement. Creation is
 * idempotent across retries and worker crashes: the marker is looked up (our row first, then the
 * PSA) before anything is created. The close policy is domain/ticket-close.ts; how a PSA call
 * fails out of an activity is ticket-calls.ts.
 */
import type { ActivityDeps } from './deps';
import type { PsaAdapter, PsaKind, PsaTicket, TicketWrite } from '../psa/core/types';
import type { OperationNodeSource } from 'kysely';
import { PsaNotFoundError } from '../psa/core/errors';
import { RuleViolation } from '../domain/errors';
import { alreadyRecorded, closeAfterRead, closeApproach, closeOfRecordedOutcome, nextNoteToken, recoveryOutcome, withNoteToken, type CloseOutcome } from '../domain/ticket-close';
import { adapterProviderFor } from '../infra/psa-adapters';
import { auditInsert, writeAudit } from '../db/repositories/audit';
import { alertOutcomeWrite, recordAlertOutcome, recordFirstAlertOutcome } from '../db/repositories/alerts';
import {
  markTicketTouched,
  setPendingNote,
  ticketClosedWrite,
  ticketForWrite,
  ticketInsertWrite,
  ticketNotedWrite,
  ticketReopenedWrite,
  ticketTargetOf,
  ticketUnreadCloseWrite,
  recordOpenIntent,
  forgetOpenIntent,
  type TicketTargetRow,
  type TicketWriteRow,
} from '../db/repositories/tickets';
import { mainWriteId, writeTogether, writeTogetherReturning } from '../db/repositories/write-together';
import { ensureTicketWebhook, hasTicketWebhook } from './tickets-webhooks';
import { TICKET_ACTOR, onBudgetTerms, ticketCalls, unsentForBudget } from './ticket-calls';
import { PROBLEM_TITLES, ticketMarker, episodeOfMarker, type Problem, type SkipReason, type TicketBudget } from '../workflows/ticket-messages';
import { domainFailure } from '../workflows/integration-messages';
import { metrics } from '../infra/metrics';

export type { CloseOutcome } from '../domain/ticket-close';

export type TicketTarget =
  | { kind: 'ready'; connectionId: string; psa: PsaKind }
  | { kind: 'skip'; reason: SkipReason; sentence: string; psa: PsaKind | null };

export interface OpenTicketRequest {
  organizationId: string;
  problem: Problem;
  /** First line of the ticket body: when the platform saw the failure. */
  occurredAt: string;
  /** Alerts this ticket answers; their outcome is written in the same attempt. */
  alertIds: string[];
  /** How its PSA calls wait for the rate budget (ticket-calls.ts). */
  budget?: TicketBudget;
}

export type OpenTicketResult =
  | {
      kind: 'opened';
      ticketRowId: string;
      connectionId: string;
      psa: PsaKind;
      psaTicketId: string;
      psaTicketNumber: string | null;
      marker: string;
      episode: number;
      /** True when an earlier attempt had already created it (in the PSA or in our table). */
      adopted: boolean;
    }
  | { kind: 'skipped'; reason: SkipReason; sentence: string; psa: PsaKind | null };

export interface TicketRef {
  ticketRowId: string;
  connectionId: string;
  psaTicketId: string;
  /** How the call's PSA requests wait for the rate budget (ticket-calls.ts). */
  budget?: TicketBudget;
}

export interface ReadTicketResult {
  closed: boolean;
  /** The ticket no longer exists in the PSA (deleted there). */
  deleted: boolean;
  touchedByOthers: boolean;
}

/** Where the organization's tickets go, or why none may be opened. */
function targetOf(m: TicketTargetRow | undefined): TicketTarget {
  if (!m) return { kind: 'skip', reason: 'organization_unmapped', sentence: 'The organization is not mapped to a PSA', psa: null };
  if (m.connectionStatus !== 'connected') {
    return { kind: 'skip', reason: 'integration_revoked', sentence: `The ${m.psa} integration is not connected (${m.connectionStatus})`, psa: m.psa };
  }
  if (m.mappingStatus === 'broken') {
    return { kind: 'skip', reason: 'organization_unmapped', sentence: 'The organization mapping is broken (its PSA company was deleted)', psa: m.psa };
  }
  if (!m.settings) return { kind: 'skip', reason: 'ticket_mapping_missing', sentence: `Ticket mapping is not set for ${m.psa}`, psa: m.psa };
  return { kind: 'ready', connectionId: m.connectionId, psa: m.psa };
}

/** The connection a ticket row's PSA calls are made on (and audited against). */
const connectionOf = (row: TicketWriteRow) => ({ id: row.connectionId, partnerId: row.partnerId, psa: row.psa });

const ticketTarget = (marker: string) => `ticket:${marker}`;

type Closed = { outcome: CloseOutcome; writes: OperationNodeSource[] };

export function createTicketActivities(deps: ActivityDeps) {
  const { db, log } = deps;
  const adapters = adapterProviderFor(deps);
  const { call, failure } = ticketCalls({ ...deps, adapters });

  /** An audit entry of ticket work that succeeded, to send with the row's bookkeeping. */
  const audited = (row: { partnerId: string; connectionId: string }, action: string, target: string, detail: Record<string, unknown>) =>
    auditInsert(db, { partnerId: row.partnerId, connectionId: row.connectionId, actor: TICKET_ACTOR, action, target, outcome: 'ok', detail });

  /** The ticket row and the outcomes already recorded on it for `alertIds` (the alerts the caller's write answers). */
  async function ticketRow(ticketRowId: string, alertIds: string[] = []): Promise<TicketWriteRow> {
    const row = await ticketForWrite(db, ticketRowId, alertIds);
    if (!row) throw new RuleViolation('ticket_row_missing', 'The ticket record no longer exists');
    return row;
  }

  /**
   * Before a note, close or reopen: the organization unlinked from the ticket's connection (by hand,
   * or deleted on the platform) gets nothing more written; its run is told too, and stops.
   */
  function assertStillMapped(row: TicketWriteRow): void {
    if (!row.mapped) throw new RuleViolation('ticket_organization_unlinked', 'The organization is no longer mapped to this PSA: its ticket gets no more writes');
  }

  const adapterOf = (row: TicketWriteRow) => adapters.forRow({ ...row, id: row.connectionId });

  function ticketSettings(row: TicketWriteRow) {
    if (!row.settings) throw new RuleViolation('ticket_mapping_missing', 'Ticket mapping is not set for this PSA');
    return row.settings;
  }

  /**
   * Before each of our writes: one read of the record for work by others since our last write
   * (our write would hide it), kept in the row's sticky `touchedByOthers`.
   */
  async function checkBeforeWrite(row: TicketWriteRow, adapter: PsaAdapter): Promise<{ closed: boolean; touched: boolean }> {
    const check = await call(connectionOf(row), null, () => adapter.checkTicket(row.psaTicketId, row.psaWatermark));
    if (check.touchedByOthers && !row.touchedByOthers) await markTicketTouched(db, row.id);
    return { closed: check.closed, touched: row.touchedByOthers || check.touchedByOthers };
  }

  /**
   * A note written at most once: its text carries a token (marker + note number). The token is
   * stored before the PSA call; a later attempt that finds it stored asks the PSA whether that
   * note landed (its answer may have been lost) instead of writing it again.
   */
  async function noteOnce(row: TicketWriteRow, adapter: PsaAdapter, text: string): Promise<TicketWrite> {
    const token = nextNoteToken(row);
    if (row.pendingNote === token) {
      const landed = await call(connectionOf(row), null, () => adapter.findNote(row.psaTicketId, token));
      if (landed) return landed;
    } else {
      await setPendingNote(db, row.id, token);
    }
    return call(connectionOf(row), { action: 'ticket.note', target: ticketTarget(row.marker) }, () => adapter.addTicketNote(row.psaTicketId, withNoteToken(text, token)));
  }

  /**
   * Two PSA calls in the usual case: the record check, then the close (status and note in one
   * call). Where the close itself takes two writes (ConnectWise), the connection's ticket events
   * stand in for the check (see closeUnread). Returns the bookkeeping writes for the caller to
   * send together with the alert's outcome.
   */
  async function closeTicket(ref: TicketRef, row: TicketWriteRow, note: string): Promise<Closed> {
    if (row.state === 'closed') return { outcome: 'already_closed', writes: [] };
    const settings = ticketSettings(row);
    const closedStatus = settings.closedStatus;
    if (!closedStatus) throw new RuleViolation('ticket_mapping_missing', 'The ticket mapping has no closed status');
    const adapter = await adapterOf(row);
    const target = ticketTarget(row.marker);
    const approach = closeApproach({
      touchedByOthers: row.touchedByOthers,
      canCloseUnread: adapter.closeTicketUnread !== undefined,
      eventsLive: hasTicketWebhook(row.webhookSubscriptionId),
      hasOpenStatus: !!settings.status,
    });
    if (approach === 'close_unread' && adapter.closeTicketUnread && settings.status) {
      return closeUnread(row, adapter.closeTicketUnread.bind(adapter), adapter, { closedStatus, openStatus: settings.status }, note);
    }
    const current = await checkBeforeWrite(row, adapter);
    switch (closeAfterRead(current)) {
      case 'closed_in_psa':
        return { outcome: 'closed_in_psa', writes: [ticketClosedWrite(db, ref.ticketRowId, 'psa')] };
      case 'adopt':
        return {
          outcome: 'closed',
          writes: [ticketClosedWrite(db, ref.ticketRowId, 'engine'), audited(row, 'ticket.close', target, { psaTicketId: ref.psaTicketId, adopted: true })],
        };
      case 'note_only': {
        const write = await noteOnce(row, adapter, note);
        return {
          outcome: 'noted_only',
          writes: [ticketNotedWrite(db, row.id, write.watermark), audited(row, 'ticket.note', target, { psaTicketId: ref.psaTicketId, reason: 'worked on by a technician; left open' })],
        };
      }
      case 'close': {
        const closed = await call(connectionOf(row), { action: 'ticket.close', target }, () => adapter.closeTicket(ref.psaTicketId, closedStatus, note));
        return {
          outcome: 'closed',
          writes: [
            ticketClosedWrite(db, ref.ticketRowId, 'engine', closed.watermark),
            audited(row, 'ticket.close', target, { psaTicketId: closed.id, statusId: closed.statusId, closed: closed.closed }),
          ],
        };
      }
    }
  }

  /**
   * The close without a read first. Every change by someone else reaches us as a ticket event
   * and marks the row (api/routes/psa-webhooks.ts), so an unmarked row with a live subscription
   * means nobody has worked on the ticket, up to events still in flight; the close's own answer
   * covers the lasting traces of work (owner, resources, hours). The note carries a token, stored
   * before the call: a later attempt (the first one's answer may be lost, or its worker killed)
   * finds it stored and looks for the note before writing again.
   */
  async function closeUnread(
    row: TicketWriteRow,
    close: NonNullable<PsaAdapter['closeTicketUnread']>,
    adapter: PsaAdapter,
    statuses: { closedStatus: string; openStatus: string },
    note: string,
  ): Promise<Closed> {
    const target = ticketTarget(row.marker);
    const token = nextNoteToken(row);
    const done = (leftOpen: boolean, detail: Record<string, unknown>): Closed => ({
      outcome: leftOpen ? 'noted_only' : 'closed',
      writes: [ticketUnreadCloseWrite(db, row.id, leftOpen), audited(row, leftOpen ? 'ticket.note' : 'ticket.close', target, { psaTicketId: row.psaTicketId, ...detail })],
    });
    if (row.pendingNote === token) {
      const landed = await call(connectionOf(row), null, () => adapter.findNote(row.psaTicketId, token));
      if (landed) {
        const now = await call(connectionOf(row), null, () => adapter.checkTicket(row.psaTicketId, null));
        return done(!now.closed, { adopted: true });
      }
    } else {
      await setPendingNote(db, row.id, token);
    }
    const r = await call(connectionOf(row), { action: 'ticket.close', target }, () => close(row.psaTicketId, statuses.closedStatus, statuses.openStatus, withNoteToken(note, token)));
    return done(r.leftOpen, r.leftOpen ? { reason: 'the close showed work by a technician; left open' } : { statusId: r.ticket.statusId, closed: r.ticket.closed });
  }

  /** Reopens the ticket in the PSA; returns the bookkeeping writes for the caller to send with the alerts' outcome. */
  async function reopenTicket(ref: TicketRef, row: TicketWriteRow, note: string): Promise<OperationNodeSource[]> {
    const openStatus = ticketSettings(row).status;
    if (!openStatus) throw new RuleViolation('ticket_mapping_missing', 'The ticket mapping has no status');
    const adapter = await adapterOf(row);
    const target = ticketTarget(row.marker);
    if (!row.touchedByOthers) await checkBeforeWrite(row, adapter);
    const reopened = await call(connectionOf(row), { action: 'ticket.reopen', target }, () => adapter.reopenTicket(ref.psaTicketId, openStatus, note));
    return [ticketReopenedWrite(db, ref.ticketRowId, reopened.watermark), audited(row, 'ticket.reopen', target, { psaTicketId: reopened.id, statusId: reopened.statusId, closed: reopened.closed })];
  }

  /** A PSA ticket the create found or made: our row, its audit entry and the alerts' outcome, all or nothing. */
  async function recordOpened(m: TicketTargetRow, req: OpenTicketRequest, marker: string, ticket: PsaTicket, found: boolean) {
    const connectionId = m.connectionId;
    const [row] = await writeTogetherReturning<{ id: string; psaTicketId: string; psaTicketNumber: string | null; marker: string }>(
      db,
      ticketInsertWrite(db, {
        connectionId,
        organizationId: req.organizationId,
        problem: req.problem,
        marker,
        psaTicketId: ticket.id,
        psaTicketNumber: ticket.number,
        touchedByOthers: ticket.touchedByOthers,
        psaWatermark: ticket.watermark,
      }),
      [
        audited(m, found ? 'ticket.adopt' : 'ticket.create', ticketTarget(marker), { psaTicketId: ticket.id, psaTicketNumber: ticket.number, statusId: ticket.statusId, closed: ticket.closed }),
        alertOutcomeWrite(db, { alertIds: req.alertIds, outcome: found ? 'ticket_adopted' : 'ticket_created', reason: null, ticketRowId: mainWriteId, detail: { psa: m.psa, connectionId, marker } }),
      ],
    );
    if (!row) throw new Error(`the ticket row for ${marker} was not written`);
    return row;
  }

  const activities = {
    /**
     * Everything a raise needs in one attempt: where the organization's tickets go (or why they
     * cannot), the connection's webhook, the episode's marker, find-before-create, our row, the
     * audit entry and the alert's outcome. A retry adopts what an earlier attempt left behind.
     */
    async openServiceTicket(req: OpenTicketRequest): Promise<OpenTicketResult> {
      const m = await ticketTargetOf(db, req.organizationId, req.problem);
      const target = targetOf(m);
      if (target.kind === 'skip' || !m) {
        const skipped = target.kind === 'skip' ? target : ({ kind: 'skip', reason: 'organization_unmapped', sentence: 'The organization is not mapped', psa: null } as const);
        await recordAlertOutcome(db, { alertIds: req.alertIds, outcome: 'skipped', reason: `${skipped.reason}: ${skipped.sentence}`, ticketRowId: null });
        return { kind: 'skipped', reason: skipped.reason, sentence: skipped.sentence, psa: skipped.psa };
      }
      const connectionId = m.connectionId;
      const connection = { id: connectionId, partnerId: m.partnerId, psa: m.psa };
      const opened = (row: { id: string; psaTicketId: string; psaTicketNumber: string | null; marker: string }, adopted: boolean): OpenTicketResult => ({
        kind: 'opened',
        ticketRowId: row.id,
        connectionId,
        psa: m.psa,
        psaTicketId: row.psaTicketId,
        psaTicketNumber: row.psaTicketNumber,
        marker: row.marker,
        episode: episodeOfMarker(row.marker) ?? 0,
        adopted,
      });
      // Every episode of this problem so far: an open row on this connection was written by an
      // earlier attempt of this raise (one open per problem); otherwise the next episode begins.
      const rows = m.episodes;
      const earlier = rows.find((r) => r.state === 'open' && r.connectionId === connectionId);
      if (earlier) {
        // An alert whose outcome that attempt already wrote keeps it (ticket_created, usually).
        await recordFirstAlertOutcome(db, { alertIds: req.alertIds, outcome: 'ticket_adopted', reason: null, ticketRowId: earlier.id, detail: { psa: m.psa, connectionId, marker: earlier.marker } });
        return opened(earlier, true);
      }
      const adapter = await adapters.forRow({ ...m, id: connectionId, status: m.connectionStatus });
      // Best effort: polling covers a connection whose subscription failed.
      if (!hasTicketWebhook(m.webhookSubscriptionId)) {
        await ensureTicketWebhook(deps, adapters, connectionId).catch((err: unknown) => log.warn('ticket webhook subscription failed', { connectionId, error: err instanceof Error ? err.message : String(err) }));
      }
      const episode = rows.reduce((max, r) => Math.max(max, episodeOfMarker(r.marker) ?? 0), 0) + 1;
      const marker = ticketMarker(req.organizationId, req.problem, episode);

      // Find before create, where an earlier attempt may have sent the create: one that committed
      // in the PSA but never answered is adopted here. The first attempt of an episode creates at once.
      const first = await recordOpenIntent(db, marker);
      const { found, ticket } = await onBudgetTerms(req.budget, async () => {
        const earlier = first ? null : await call(connection, null, () => adapter.findTicketByMarker(marker));
        if (earlier) return { found: earlier, ticket: earlier };
        try {
          const created = await call(connection, { action: 'ticket.create', target: ticketTarget(marker) }, () =>
            adapter.createTicket({
              marker,
              title: `${PROBLEM_TITLES[req.problem]}: ${m.organizationName}`,
              description: `SaaS Backup reported "${PROBLEM_TITLES[req.problem]}" for ${m.organizationName} at ${req.occurredAt}.\nThis ticket is managed by the backup platform (reference ${marker}).`,
              organization: m.values,
              ticketMapping: m.settings as Record<string, string>,
            }),
          );
          return { found: null, ticket: created };
        } catch (err) {
          // Refused by the budget before it was sent: the next attempt may create at once again.
          if (first && unsentForBudget(err)) await forgetOpenIntent(db, marker);
          throw err;
        }
      });
      const row = await recordOpened(m, req, marker, ticket, !!found);
      await forgetOpenIntent(db, marker).catch(() => undefined);
      metrics.ticketsOpened.inc({ vendor: m.psa, adopted: found ? 'true' : 'false' });
      log.info('service ticket opened', { marker, psaTicketId: ticket.id, adopted: !!found });
      return opened(row, !!found);
    },

    async addServiceTicketNote(ref: TicketRef, text: string, alertIds: string[]): Promise<void> {
      return onBudgetTerms(ref.budget, async () => {
        const row = await ticketRow(ref.ticketRowId, alertIds);
        if (alreadyRecorded(row.recorded, alertIds, 'noted')) return;
        assertStillMapped(row);
        const adapter = await adapterOf(row);
        // Once known as touched it stays so; until then our note must not hide someone's work.
        if (!row.touchedByOthers) await checkBeforeWrite(row, adapter);
        const write = await noteOnce(row, adapter, text);
        await writeTogether(db, [
          ticketNotedWrite(db, row.id, write.watermark),
          audited(row, 'ticket.note', ticketTarget(row.marker), { psaTicketId: ref.psaTicketId }),
          alertOutcomeWrite(db, { alertIds, outcome: 'noted', reason: null, ticketRowId: ref.ticketRowId }),
        ]);
        metrics.ticketNotes.inc({ vendor: row.psa });
      });
    },

    /**
     * Recovery: close with the mapped closed status, unless a person has worked on the ticket —
     * then only a note, and the technician decides. A ticket already closed in the PSA is recorded.
     */
    async closeServiceTicket(ref: TicketRef, note: string, alerts: { recovery: string; folded: string[] }): Promise<CloseOutcome> {
      return onBudgetTerms(ref.budget, async () => {
        const row = await ticketRow(ref.ticketRowId, [alerts.recovery]);
        const recordedClose = closeOfRecordedOutcome(row.recorded.find((r) => r.id === alerts.recovery)?.outcome);
        if (recordedClose) return recordedClose;
        assertStillMapped(row);
        const { outcome, writes } = await closeTicket(ref, row, note);
        const ticketRowId = ref.ticketRowId;
        const recovery = recoveryOutcome(outcome);
        await writeTogether(db, [
          ...writes,
          alertOutcomeWrite(db, { alertIds: alerts.folded, outcome: 'noted', reason: 'folded into the recovery note', ticketRowId }),
          alertOutcomeWrite(db, { alertIds: [alerts.recovery], outcome: recovery.outcome, reason: recovery.reason, ticketRowId }),
        ]);
        countClose(row.psa, outcome);
        return outcome;
      });
    },

    /** Flapping: the same ticket comes back with the mapped open status. */
    async reopenServiceTicket(ref: TicketRef, note: string, alertIds: string[]): Promise<void> {
      return onBudgetTerms(ref.budget, async () => {
        const row = await ticketRow(ref.ticketRowId, alertIds);
        if (alreadyRecorded(row.recorded, alertIds, 'ticket_reopened')) return;
        assertStillMapped(row);
        const writes = await reopenTicket(ref, row, note);
        await writeTogether(db, [...writes, alertOutcomeWrite(db, { alertIds, outcome: 'ticket_reopened', reason: null, ticketRowId: ref.ticketRowId })]);
      });
    },

    /** Polling backstop and webhooks without a status: what the PSA says about the ticket now. */
    async readServiceTicket(ref: TicketRef): Promise<ReadTicketResult> {
      return onBudgetTerms(ref.budget, async () => {
        const { adapter, connection } = await adapters.forConnection(ref.connectionId);
        try {
          const t = await adapter.getTicket(ref.psaTicketId);
          if (t.touchedByOthers) await markTicketTouched(db, ref.ticketRowId);
          return { closed: t.closed, deleted: false, touchedByOthers: t.touchedByOthers };
        } catch (err) {
          if (err instanceof PsaNotFoundError) return { closed: true, deleted: true, touchedByOthers: false };
          throw await failure(err, connection);
        }
      });
    },

    async markTicketClosedByPsa(ticketRowId: string, deleted: boolean): Promise<void> {
      const row = await ticketRow(ticketRowId);
      await writeTogether(db, [ticketClosedWrite(db, ticketRowId, 'psa'), audited(row, 'ticket.closed_in_psa', ticketTarget(row.marker), { psaTicketId: row.psaTicketId, deleted })]);
      metrics.ticketsClosed.inc({ vendor: row.psa, by: 'psa' });
    },

    /** The integration was revoked under an open ticket: recorded, nothing sent to the PSA. */
    async abandonServiceTicket(ticketRowId: string, reason: string): Promise<void> {
      const row = await ticketRow(ticketRowId);
      await writeAudit(db, { partnerId: row.partnerId, connectionId: row.connectionId, actor: TICKET_ACTOR, action: 'ticket.abandon', target: ticketTarget(row.marker), outcome: 'ok', detail: { psaTicketId: row.psaTicketId, reason } });
    },
  };
  return withDomainFailures(activities);
}

/** A recovery's close in the counters: our close, the PSA's close found first, or a note on a worked ticket. */
function countClose(vendor: PsaKind, outcome: CloseOutcome): void {
  if (outcome === 'closed') metrics.ticketsClosed.inc({ vendor, by: 'engine' });
  else if (outcome === 'closed_in_psa') metrics.ticketsClosed.inc({ vendor, by: 'psa' });
  else if (outcome === 'noted_only') metrics.ticketNotes.inc({ vendor });
}

/**
 * The same activities, each letting our domain errors out as typed failures that carry their
 * code (a RuleViolation's code tells the workflow why the alert is skipped).
 */
function withDomainFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const typed = Object.entries(activities).map(([name, fn]) => [
    name,
    async (...args: Parameters<typeof fn>) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw domainFailure(err) ?? err;
      }
    },
  ]);
  return Object.fromEntries(typed) as T;
}

export type TicketActivities = ReturnType<typeof createTicketActivities>;
