/**
 * Side effects of the service-ticket workflow: where an organization's tickets go (its mapping),
 * and every PSA ticket write — each followed by the `tickets` row and an audit-log row with the
 * vendor's answer. Creation is idempotent across retries and worker crashes: the marker is
 * looked up (our row first, then the PSA) before anything is created.
 */
import type { ActivityDeps } from './deps';
import type { Db } from '../db/connect';
import type { PsaAdapter, PsaKind, PsaTicket, TicketWrite } from '../psa/core/types';
import type { OperationNodeSource } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import { PsaNotFoundError } from '../psa/core/errors';
import { RuleViolation } from '../domain/errors';
import { adapterProviderFor } from './psa-connections';
import { toActivityFailure } from './tickets-psa-errors';
import { alertOutcomeWrite, recordAlertOutcome } from './alerts';
import { mainWriteId, writeTogether, writeTogetherReturning } from './write-together';
import { ensureTicketWebhook, hasTicketWebhook } from './tickets-webhooks';
import { domainFailure } from '../workflows/integration-messages';
import { PROBLEM_TITLES, ticketMarker, episodeOfMarker, type AlertOutcome, type Problem, type SkipReason } from '../workflows/ticket-messages';

export const TICKET_ACTOR = 'psa-sync:tickets';

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
}

export type CloseOutcome = 'closed' | 'noted_only' | 'closed_in_psa' | 'already_closed';

export interface ReadTicketResult {
  closed: boolean;
  /** The ticket no longer exists in the PSA (deleted there). */
  deleted: boolean;
  touchedByOthers: boolean;
}

/**
 * Loads an organization's mapping and its connection's ticket mapping (or says why there is
 * none), with every ticket row of `problem` so far, in one query.
 */
async function loadMapping(db: Db, organizationId: string, problem = '') {
  return db
    .selectFrom('organizationMappings as om')
    .innerJoin('connections as c', 'c.id', 'om.connectionId')
    .innerJoin('organizations as o', 'o.id', 'om.organizationId')
    .leftJoin('ticketMappings as tm', 'tm.connectionId', 'om.connectionId')
    .select([
      'om.connectionId',
      'om.psa',
      'om.values',
      'om.status as mappingStatus',
      'c.status as connectionStatus',
      'c.partnerId',
      'tm.settings',
      'o.name as organizationName',
      // The adapter is built from these without reading the connection again.
      'c.health',
      'c.healthReason',
      'c.credentials',
      'c.credentialsKeyId',
      'c.updatedAt',
      'c.webhookSubscriptionId',
    ])
    .select((eb) =>
      jsonArrayFrom(
        eb
          .selectFrom('tickets as t')
          .select(['t.id', 't.psaTicketId', 't.psaTicketNumber', 't.marker', 't.state', 't.connectionId'])
          .where('t.organizationId', '=', organizationId)
          .where('t.problem', '=', problem),
      ).as('episodes'),
    )
    .where('om.organizationId', '=', organizationId)
    .executeTakeFirst();
}

type MappingRow = Awaited<ReturnType<typeof loadMapping>>;

/** Where the organization's tickets go, or why none may be opened. */
function targetOf(m: MappingRow): TicketTarget {
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

export function createTicketActivities(deps: ActivityDeps) {
  const { db, log } = deps;
  const adapters = adapterProviderFor(deps);

  const auditWrite = (partnerId: string | null, connectionId: string, action: string, target: string, outcome: 'ok' | 'error', detail: Record<string, unknown>) =>
    db.insertInto('auditLog').values({ partnerId, connectionId, actor: TICKET_ACTOR, action, target, outcome, detail: JSON.stringify(detail) });
  const audit = (...args: Parameters<typeof auditWrite>) => auditWrite(...args).execute();

  /** Runs a PSA call; failures are audited (writes only) and turned into typed Temporal failures. */
  async function psaCall<T>(connectionId: string, write: { partnerId: string | null; action: string; target: string } | null, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (write) {
        await audit(write.partnerId, connectionId, write.action, write.target, 'error', { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }).catch(() => undefined);
      }
      throw await toActivityFailure(err, db, connectionId);
    }
  }

  /**
   * The ticket row with what building its adapter needs, and the outcomes already recorded on
   * this ticket for `alertIds` (the alerts the caller's write answers), in one query.
   */
  async function ticketRow(ticketRowId: string, alertIds: string[] = []) {
    const row = await db
      .selectFrom('tickets as t')
      .innerJoin('connections as c', 'c.id', 't.connectionId')
      .leftJoin('ticketMappings as tm', 'tm.connectionId', 't.connectionId')
      .select(['t.id', 't.marker', 't.state', 't.psaTicketId', 't.connectionId', 't.touchedByOthers', 't.psaWatermark', 't.noteCount', 't.pendingNote', 'c.partnerId', 'tm.settings'])
      .select(['c.psa', 'c.status', 'c.health', 'c.healthReason', 'c.credentials', 'c.credentialsKeyId', 'c.updatedAt', 'c.webhookSubscriptionId'])
      .select((eb) =>
        jsonArrayFrom(
          eb
            .selectFrom('alerts as a')
            .select(['a.id', 'a.outcome'])
            // `= any(array)`: one statement text for any number of ids, none included.
            .where('a.id', '=', eb.fn.any(eb.val(alertIds)))
            .where('a.ticketId', '=', eb.ref('t.id'))
            .where('a.outcome', 'is not', null),
        ).as('recorded'),
      )
      .where('t.id', '=', ticketRowId)
      .executeTakeFirst();
    if (!row) throw new RuleViolation('ticket_row_missing', 'The ticket record no longer exists');
    return row;
  }

  /**
   * True when every one of `alertIds` already carries `outcome` on this ticket: this write was
   * made by an earlier run of the same call whose result never reached the workflow (a local
   * activity's worker killed before its workflow task completed, an answer lost), so it is not
   * made again.
   */
  const alreadyRecorded = (row: TicketRowView, alertIds: string[], outcome: AlertOutcome) =>
    alertIds.length > 0 && alertIds.every((id) => row.recorded.some((r) => r.id === id && r.outcome === outcome));

  type TicketRowView = Awaited<ReturnType<typeof ticketRow>>;
  const adapterOf = (row: TicketRowView) => adapters.forRow({ ...row, id: row.connectionId });

  function ticketSettings(row: TicketRowView) {
    if (!row.settings) throw new RuleViolation('ticket_mapping_missing', 'Ticket mapping is not set for this PSA');
    return row.settings;
  }

  /**
   * Before each of our writes: one read of the record for work by others since our last write
   * (our write would hide it), kept in the row's sticky `touchedByOthers`.
   */
  async function checkBeforeWrite(row: TicketRowView, adapter: PsaAdapter): Promise<{ closed: boolean; touched: boolean }> {
    const check = await psaCall(row.connectionId, null, () => adapter.checkTicket(row.psaTicketId, row.psaWatermark));
    if (check.touchedByOthers && !row.touchedByOthers) {
      await db.updateTable('tickets').set({ touchedByOthers: true, updatedAt: new Date() }).where('id', '=', row.id).execute();
    }
    return { closed: check.closed, touched: row.touchedByOthers || check.touchedByOthers };
  }

  /**
   * A note written at most once: its text carries a token (marker + note number). The token is
   * stored before the PSA call; a later attempt that finds it stored asks the PSA whether that
   * note landed (its answer may have been lost) instead of writing it again.
   */
  async function noteOnce(row: TicketRowView, adapter: PsaAdapter, text: string, target: string): Promise<TicketWrite> {
    const token = nextNoteToken(row);
    if (row.pendingNote === token) {
      const landed = await psaCall(row.connectionId, null, () => adapter.findNote(row.psaTicketId, token));
      if (landed) return landed;
    } else {
      await db.updateTable('tickets').set({ pendingNote: token }).where('id', '=', row.id).execute();
    }
    return psaCall(row.connectionId, { partnerId: row.partnerId, action: 'ticket.note', target }, () => adapter.addTicketNote(row.psaTicketId, `${text}\n(ref ${token})`));
  }

  /** The row's bookkeeping after a note: one more, none pending, the PSA's new stamp. */
  const notedWrite = (row: TicketRowView, write: TicketWrite) =>
    db
      .updateTable('tickets')
      .set((eb) => ({ noteCount: eb('noteCount', '+', 1), pendingNote: null, psaWatermark: write.watermark, updatedAt: new Date() }))
      .where('id', '=', row.id);

  /**
   * Two PSA calls in the usual case: the record check, then the close (status and note in one
   * call). Where the close itself takes two writes (ConnectWise), the connection's ticket events
   * stand in for the check (see closeUnread). Returns the bookkeeping writes for the caller to
   * send together with the alert's outcome.
   */
  async function closeTicket(ref: TicketRef, row: TicketRowView, note: string): Promise<{ outcome: CloseOutcome; writes: OperationNodeSource[] }> {
    if (row.state === 'closed') return { outcome: 'already_closed', writes: [] };

    const settings = ticketSettings(row);
    const closedStatus = settings.closedStatus;
    if (!closedStatus) throw new RuleViolation('ticket_mapping_missing', 'The ticket mapping has no closed status');
    const adapter = await adapterOf(row);
    const target = `ticket:${row.marker}`;
    if (adapter.closeTicketUnread && settings.status && !row.touchedByOthers && hasTicketWebhook(row.webhookSubscriptionId)) {
      return closeUnread(row, adapter.closeTicketUnread.bind(adapter), adapter, { closedStatus, openStatus: settings.status }, note);
    }
    const current = await checkBeforeWrite(row, adapter);
    if (current.closed) {
      // Closed, and nobody else changed it since our last write: an earlier attempt of this close
      // landed but its answer was lost. Otherwise someone in the PSA closed it.
      if (current.touched) return { outcome: 'closed_in_psa', writes: [markClosedWrite(db, ref.ticketRowId, 'psa')] };
      return {
        outcome: 'closed',
        writes: [markClosedWrite(db, ref.ticketRowId, 'engine'), auditWrite(row.partnerId, ref.connectionId, 'ticket.close', target, 'ok', { psaTicketId: ref.psaTicketId, adopted: true })],
      };
    }
    if (current.touched) {
      const write = await noteOnce(row, adapter, note, target);
      return {
        outcome: 'noted_only',
        writes: [
          notedWrite(row, write),
          auditWrite(row.partnerId, ref.connectionId, 'ticket.note', target, 'ok', { psaTicketId: ref.psaTicketId, reason: 'worked on by a technician; left open' }),
        ],
      };
    }
    const closed = await psaCall(ref.connectionId, { partnerId: row.partnerId, action: 'ticket.close', target }, () =>
      adapter.closeTicket(ref.psaTicketId, closedStatus, note),
    );
    return {
      outcome: 'closed',
      writes: [
        markClosedWrite(db, ref.ticketRowId, 'engine', closed.watermark),
        auditWrite(row.partnerId, ref.connectionId, 'ticket.close', target, 'ok', { psaTicketId: closed.id, statusId: closed.statusId, closed: closed.closed }),
      ],
    };
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
    row: TicketRowView,
    close: NonNullable<PsaAdapter['closeTicketUnread']>,
    adapter: PsaAdapter,
    statuses: { closedStatus: string; openStatus: string },
    note: string,
  ): Promise<{ outcome: CloseOutcome; writes: OperationNodeSource[] }> {
    const target = `ticket:${row.marker}`;
    const token = nextNoteToken(row);
    const done = (leftOpen: boolean, detail: Record<string, unknown>) => ({
      outcome: leftOpen ? ('noted_only' as const) : ('closed' as const),
      writes: [
        db
          .updateTable('tickets')
          .set((eb) => ({
            noteCount: eb('noteCount', '+', 1),
            pendingNote: null,
            updatedAt: new Date(),
            ...(leftOpen ? { touchedByOthers: true } : { state: 'closed' as const, closedBy: 'engine' as const, closedAt: new Date() }),
          }))
          .where('id', '=', row.id)
          .where('state', '=', 'open'),
        auditWrite(row.partnerId, row.connectionId, leftOpen ? 'ticket.note' : 'ticket.close', target, 'ok', { psaTicketId: row.psaTicketId, ...detail }),
      ],
    });
    if (row.pendingNote === token) {
      const landed = await psaCall(row.connectionId, null, () => adapter.findNote(row.psaTicketId, token));
      if (landed) {
        const now = await psaCall(row.connectionId, null, () => adapter.checkTicket(row.psaTicketId, null));
        return done(!now.closed, { adopted: true });
      }
    } else {
      await db.updateTable('tickets').set({ pendingNote: token }).where('id', '=', row.id).execute();
    }
    const r = await psaCall(row.connectionId, { partnerId: row.partnerId, action: 'ticket.close', target }, () =>
      close(row.psaTicketId, statuses.closedStatus, statuses.openStatus, `${note}\n(ref ${token})`),
    );
    return done(r.leftOpen, r.leftOpen ? { reason: 'the close showed work by a technician; left open' } : { statusId: r.ticket.statusId, closed: r.ticket.closed });
  }

  async function reopenTicket(ref: TicketRef, row: TicketRowView, note: string): Promise<void> {
    const settings = ticketSettings(row);
    const openStatus = settings.status;
    if (!openStatus) throw new RuleViolation('ticket_mapping_missing', 'The ticket mapping has no status');
    const adapter = await adapterOf(row);
    const target = `ticket:${row.marker}`;
    if (!row.touchedByOthers) await checkBeforeWrite(row, adapter);
    const reopened = await psaCall(ref.connectionId, { partnerId: row.partnerId, action: 'ticket.reopen', target }, () =>
      adapter.reopenTicket(ref.psaTicketId, openStatus, note),
    );
    await db
      .updateTable('tickets')
      .set({ state: 'open', closedBy: null, closedAt: null, psaWatermark: reopened.watermark, updatedAt: new Date() })
      .where('id', '=', ref.ticketRowId)
      .execute();
    await audit(row.partnerId, ref.connectionId, 'ticket.reopen', target, 'ok', { psaTicketId: reopened.id, statusId: reopened.statusId, closed: reopened.closed });
  }

  const activities = {
    /**
     * Everything a raise needs in one attempt: where the organization's tickets go (or why they
     * cannot), the connection's webhook, the episode's marker, find-before-create, our row, the
     * audit entry and the alert's outcome. A retry adopts what an earlier attempt left behind.
     */
    async openServiceTicket(req: OpenTicketRequest): Promise<OpenTicketResult> {
      const m = await loadMapping(db, req.organizationId, req.problem);
      const target = targetOf(m);
      if (target.kind === 'skip' || !m) {
        const skipped = target.kind === 'skip' ? target : ({ kind: 'skip', reason: 'organization_unmapped', sentence: 'The organization is not mapped', psa: null } as const);
        await recordAlertOutcome(db, { alertIds: req.alertIds, outcome: 'skipped', reason: `${skipped.reason}: ${skipped.sentence}`, ticketRowId: null });
        return { kind: 'skipped', reason: skipped.reason, sentence: skipped.sentence, psa: skipped.psa };
      }
      const connectionId = m.connectionId;
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
        await alertOutcomeWrite(db, { alertIds: req.alertIds, outcome: 'ticket_adopted', reason: null, ticketRowId: earlier.id, detail: { psa: m.psa, connectionId, marker: earlier.marker } })
          ?.where('outcome', 'is', null)
          .execute();
        return opened(earlier, true);
      }
      const adapter = await adapters.forRow({ ...m, id: connectionId, status: m.connectionStatus });
      // Best effort: polling covers a connection whose subscription failed.
      if (!hasTicketWebhook(m.webhookSubscriptionId)) {
        await ensureTicketWebhook(deps, adapters, connectionId).catch((err: unknown) => log.warn('ticket webhook subscription failed', { connectionId, error: err instanceof Error ? err.message : String(err) }));
      }
      const episode = rows.reduce((max, r) => Math.max(max, episodeOfMarker(r.marker) ?? 0), 0) + 1;
      const marker = ticketMarker(req.organizationId, req.problem, episode);
      const target_ = `ticket:${marker}`;

      // Find before create: a create that committed in the PSA but never answered is adopted here.
      const found = await psaCall(connectionId, null, () => adapter.findTicketByMarker(marker));
      let ticket: PsaTicket;
      if (found) {
        ticket = found;
      } else {
        const org = { name: m.organizationName };
        ticket = await psaCall(connectionId, { partnerId: m.partnerId, action: 'ticket.create', target: target_ }, () =>
          adapter.createTicket({
            marker,
            title: `${PROBLEM_TITLES[req.problem]}: ${org.name}`,
            description: `SaaS Backup reported "${PROBLEM_TITLES[req.problem]}" for ${org.name} at ${req.occurredAt}.\nThis ticket is managed by the backup platform (reference ${marker}).`,
            organization: m.values,
            ticketMapping: m.settings as Record<string, string>,
          }),
        );
      }
      // The ticket row, its audit entry and the alert's outcome: one statement, all or nothing.
      const ticketInsert = db
        .insertInto('tickets')
        .values({
          connectionId,
          organizationId: req.organizationId,
          problem: req.problem,
          marker,
          psaTicketId: ticket.id,
          psaTicketNumber: ticket.number,
          state: 'open',
          touchedByOthers: ticket.touchedByOthers,
          psaWatermark: ticket.watermark,
        })
        .onConflict((oc) => oc.column('marker').doUpdateSet({ psaTicketId: ticket.id, psaWatermark: ticket.watermark, updatedAt: new Date(), ...(ticket.touchedByOthers ? { touchedByOthers: true } : {}) }))
        .returning(['id', 'psaTicketId', 'psaTicketNumber', 'marker']);
      const [row] = await writeTogetherReturning<{ id: string; psaTicketId: string; psaTicketNumber: string | null; marker: string }>(db, ticketInsert, [
        auditWrite(m.partnerId, connectionId, found ? 'ticket.adopt' : 'ticket.create', target_, 'ok', {
          psaTicketId: ticket.id,
          psaTicketNumber: ticket.number,
          statusId: ticket.statusId,
          closed: ticket.closed,
        }),
        alertOutcomeWrite(db, { alertIds: req.alertIds, outcome: found ? 'ticket_adopted' : 'ticket_created', reason: null, ticketRowId: mainWriteId, detail: { psa: m.psa, connectionId, marker } }),
      ]);
      if (!row) throw new Error(`the ticket row for ${marker} was not written`);
      log.info('service ticket opened', { marker, psaTicketId: ticket.id, adopted: !!found });
      return opened(row, !!found);
    },

    async addServiceTicketNote(ref: TicketRef, text: string, alertIds: string[]): Promise<void> {
      const row = await ticketRow(ref.ticketRowId, alertIds);
      if (alreadyRecorded(row, alertIds, 'noted')) return;
      const adapter = await adapterOf(row);
      const target = `ticket:${row.marker}`;
      // Once known as touched it stays so; until then our note must not hide someone's work.
      if (!row.touchedByOthers) await checkBeforeWrite(row, adapter);
      const write = await noteOnce(row, adapter, text, target);
      await writeTogether(db, [
        notedWrite(row, write),
        auditWrite(row.partnerId, ref.connectionId, 'ticket.note', target, 'ok', { psaTicketId: ref.psaTicketId }),
        alertOutcomeWrite(db, { alertIds, outcome: 'noted', reason: null, ticketRowId: ref.ticketRowId }),
      ]);
    },

    /**
     * Recovery: close with the mapped closed status, unless a person has worked on the ticket —
     * then only a note, and the technician decides. A ticket already closed in the PSA is recorded.
     */
    async closeServiceTicket(ref: TicketRef, note: string, alerts: { recovery: string; folded: string[] }): Promise<CloseOutcome> {
      const row = await ticketRow(ref.ticketRowId, [alerts.recovery]);
      const earlier = row.recorded.find((r) => r.id === alerts.recovery)?.outcome;
      const recordedClose = earlier ? CLOSE_OF_OUTCOME[earlier] : undefined;
      if (recordedClose) return recordedClose;
      const { outcome, writes } = await closeTicket(ref, row, note);
      const ticketRowId = ref.ticketRowId;
      const [o, reason] =
        outcome === 'closed' || outcome === 'already_closed'
          ? (['closed', null] as const)
          : outcome === 'noted_only'
            ? (['recovery_noted', 'A technician has worked on the ticket; it is left open for them to close'] as const)
            : (['no_open_ticket', 'The ticket was already closed in the PSA'] as const);
      await writeTogether(db, [
        ...writes,
        alertOutcomeWrite(db, { alertIds: alerts.folded, outcome: 'noted', reason: 'folded into the recovery note', ticketRowId }),
        alertOutcomeWrite(db, { alertIds: [alerts.recovery], outcome: o, reason, ticketRowId }),
      ]);
      return outcome;
    },

    /** Flapping: the same ticket comes back with the mapped open status. */
    async reopenServiceTicket(ref: TicketRef, note: string, alertIds: string[]): Promise<void> {
      const row = await ticketRow(ref.ticketRowId, alertIds);
      if (alreadyRecorded(row, alertIds, 'ticket_reopened')) return;
      await reopenTicket(ref, row, note);
      await recordAlertOutcome(db, { alertIds, outcome: 'ticket_reopened', reason: null, ticketRowId: ref.ticketRowId });
    },

    /** Polling backstop and webhooks without a status: what the PSA says about the ticket now. */
    async readServiceTicket(ref: TicketRef): Promise<ReadTicketResult> {
      const { adapter } = await adapters.forConnection(ref.connectionId);
      try {
        const t = await adapter.getTicket(ref.psaTicketId);
        if (t.touchedByOthers) await db.updateTable('tickets').set({ touchedByOthers: true }).where('id', '=', ref.ticketRowId).where('touchedByOthers', '=', false).execute();
        return { closed: t.closed, deleted: false, touchedByOthers: t.touchedByOthers };
      } catch (err) {
        if (err instanceof PsaNotFoundError) return { closed: true, deleted: true, touchedByOthers: false };
        throw await toActivityFailure(err, db, ref.connectionId);
      }
    },

    async markTicketClosedByPsa(ticketRowId: string, deleted: boolean): Promise<void> {
      const row = await ticketRow(ticketRowId);
      await markClosed(db, ticketRowId, 'psa');
      await audit(row.partnerId, row.connectionId, 'ticket.closed_in_psa', `ticket:${row.marker}`, 'ok', { psaTicketId: row.psaTicketId, deleted });
    },

    /** The integration was revoked under an open ticket: recorded, nothing sent to the PSA. */
    async abandonServiceTicket(ticketRowId: string, reason: string): Promise<void> {
      const row = await ticketRow(ticketRowId);
      await audit(row.partnerId, row.connectionId, 'ticket.abandon', `ticket:${row.marker}`, 'ok', { psaTicketId: row.psaTicketId, reason });
    },
  };
  return withDomainFailures(activities);
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

/** What an earlier run of the close told the workflow, from the recovery alert's recorded outcome. */
const CLOSE_OF_OUTCOME: Partial<Record<string, CloseOutcome>> = { closed: 'closed', recovery_noted: 'noted_only', no_open_ticket: 'closed_in_psa' };

/** The token our next note on this ticket carries (marker + note number). */
function nextNoteToken(row: { marker: string; noteCount: number }): string {
  return `${row.marker}#note-${row.noteCount + 1}`;
}

function markClosedWrite(db: Db, ticketRowId: string, by: 'engine' | 'psa', watermark?: string | null) {
  return db
    .updateTable('tickets')
    .set({ state: 'closed', closedBy: by, closedAt: new Date(), updatedAt: new Date(), ...(watermark === undefined ? {} : { psaWatermark: watermark }) })
    .where('id', '=', ticketRowId)
    .where('state', '=', 'open');
}

async function markClosed(db: Db, ticketRowId: string, by: 'engine' | 'psa'): Promise<void> {
  await markClosedWrite(db, ticketRowId, by).execute();
}

export type TicketActivities = ReturnType<typeof createTicketActivities>;
