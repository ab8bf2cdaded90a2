/**
 * Service tickets: where an organization's tickets go, our row of each PSA ticket (marker,
 * state, notes, whether anyone else has worked on it), and the bookkeeping writes made after
 * each PSA call. The `…Write` functions return a statement for `writeTogether`, so the row,
 * its audit entry and the alerts' outcomes land in one round trip.
 */
import type { Insertable } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { Db } from '../connect';
import type { TicketsTable } from '../schema';
import type { PsaKind } from '../../psa/core/types';

/**
 * An organization's mapping and its connection's ticket mapping, the columns its adapter is
 * built from, and every ticket row of `problem` so far, in one query. Undefined when the
 * organization is not mapped.
 */
export async function ticketTargetOf(db: Db, organizationId: string, problem = '') {
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

export type TicketTargetRow = NonNullable<Awaited<ReturnType<typeof ticketTargetOf>>>;

/**
 * A ticket row with its connection's ticket mapping and the columns its adapter is built from,
 * and the outcomes already recorded on this ticket for `alertIds`, in one query.
 */
export async function ticketForWrite(db: Db, ticketRowId: string, alertIds: readonly string[] = []) {
  return db
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
          .where('a.id', '=', eb.fn.any(eb.val([...alertIds])))
          .where('a.ticketId', '=', eb.ref('t.id'))
          .where('a.outcome', 'is not', null),
      ).as('recorded'),
    )
    // Whether the organization is still mapped on the ticket's connection: an unlinked one's ticket gets no more writes.
    .select((eb) =>
      eb
        .exists(eb.selectFrom('organizationMappings as om').select('om.organizationId').whereRef('om.organizationId', '=', 't.organizationId').whereRef('om.connectionId', '=', 't.connectionId'))
        .as('mapped'),
    )
    .where('t.id', '=', ticketRowId)
    .executeTakeFirst();
}

export type TicketWriteRow = NonNullable<Awaited<ReturnType<typeof ticketForWrite>>>;

export type NewTicket = Pick<Insertable<TicketsTable>, 'connectionId' | 'organizationId' | 'problem' | 'marker' | 'psaTicketId' | 'psaTicketNumber' | 'psaWatermark'> & {
  touchedByOthers: boolean;
};

/**
 * Our row of a ticket just created (or found) in the PSA, returning its id for the writes sent
 * with it; a row an earlier attempt left under the same marker is taken over.
 */
export function ticketInsertWrite(db: Db, t: NewTicket) {
  return db
    .insertInto('tickets')
    .values({ ...t, state: 'open' })
    .onConflict((oc) =>
      oc.column('marker').doUpdateSet({ psaTicketId: t.psaTicketId, psaWatermark: t.psaWatermark, updatedAt: new Date(), ...(t.touchedByOthers ? { touchedByOthers: true } : {}) }),
    )
    .returning(['id', 'psaTicketId', 'psaTicketNumber', 'marker']);
}

/** Someone else has worked on the ticket; the mark never goes back to false. */
export async function markTicketTouched(db: Db, ticketRowId: string): Promise<void> {
  await db.updateTable('tickets').set({ touchedByOthers: true, updatedAt: new Date() }).where('id', '=', ticketRowId).where('touchedByOthers', '=', false).execute();
}

/** Stores the token of the note about to be written, before the PSA call. */
export async function setPendingNote(db: Db, ticketRowId: string, token: string): Promise<void> {
  await db.updateTable('tickets').set({ pendingNote: token }).where('id', '=', ticketRowId).execute();
}

/** The row's bookkeeping after a note: one more, none pending, the PSA's new stamp. */
export function ticketNotedWrite(db: Db, ticketRowId: string, watermark: string | null) {
  return db
    .updateTable('tickets')
    .set((eb) => ({ noteCount: eb('noteCount', '+', 1), pendingNote: null, psaWatermark: watermark, updatedAt: new Date() }))
    .where('id', '=', ticketRowId);
}

/** An open row marked closed (by us or in the PSA); `watermark` when our close returned one. */
export function ticketClosedWrite(db: Db, ticketRowId: string, by: 'engine' | 'psa', watermark?: string | null) {
  return db
    .updateTable('tickets')
    .set({ state: 'closed', closedBy: by, closedAt: new Date(), updatedAt: new Date(), ...(watermark === undefined ? {} : { psaWatermark: watermark }) })
    .where('id', '=', ticketRowId)
    .where('state', '=', 'open');
}

/**
 * After a close without a read first, which writes a note either way: closed by us, or left
 * open and marked as worked on by others.
 */
export function ticketUnreadCloseWrite(db: Db, ticketRowId: string, leftOpen: boolean) {
  return db
    .updateTable('tickets')
    .set((eb) => ({
      noteCount: eb('noteCount', '+', 1),
      pendingNote: null,
      updatedAt: new Date(),
      ...(leftOpen ? { touchedByOthers: true } : { state: 'closed' as const, closedBy: 'engine' as const, closedAt: new Date() }),
    }))
    .where('id', '=', ticketRowId)
    .where('state', '=', 'open');
}

/** The row open again after our reopen, with the PSA's new stamp. */
export function ticketReopenedWrite(db: Db, ticketRowId: string, watermark: string | null) {
  return db.updateTable('tickets').set({ state: 'open', closedBy: null, closedAt: null, psaWatermark: watermark, updatedAt: new Date() }).where('id', '=', ticketRowId);
}

/** The problems with an open ticket of one organization on one connection (their runs are told of an unlink). */
export async function openTicketProblemsOf(db: Db, organizationId: string, connectionId: string) {
  const rows = await db.selectFrom('tickets').select('problem').where('organizationId', '=', organizationId).where('connectionId', '=', connectionId).where('state', '=', 'open').execute();
  return rows.map((r) => r.problem);
}

/** Open tickets on a partner's connection to one PSA (revoke stops their runs). */
export async function openTicketsOf(db: Db, partnerId: string, psa: PsaKind) {
  return db
    .selectFrom('tickets as t')
    .innerJoin('connections as c', 'c.id', 't.connectionId')
    .select(['t.organizationId', 't.problem'])
    .where('c.partnerId', '=', partnerId)
    .where('c.psa', '=', psa)
    .where('t.state', '=', 'open')
    .execute();
}

/** A ticket as an alert's trace shows it. */
export async function ticketForTrace(db: Db, ticketRowId: string) {
  return db
    .selectFrom('tickets as t')
    .innerJoin('connections as c', 'c.id', 't.connectionId')
    .select(['t.id', 't.marker', 'c.psa', 't.psaTicketId', 't.psaTicketNumber', 't.state', 't.closedBy', 't.noteCount', 't.connectionId'])
    .where('t.id', '=', ticketRowId)
    .executeTakeFirst();
}

/**
 * A ticket event from the PSA: our open rows of that PSA ticket on the connection, marked as
 * worked on by others when the event is someone else's change.
 */
export async function openTicketsForEvent(db: Db, connectionId: string, psaTicketId: string, byOthers: boolean) {
  const open = { connectionId, psaTicketId, state: 'open' as const };
  return byOthers
    ? db
        .updateTable('tickets')
        .set({ touchedByOthers: true, updatedAt: new Date() })
        .where((eb) => eb.and(open))
        .returning(['organizationId', 'problem', 'psaTicketId'])
        .execute()
    : db.selectFrom('tickets').select(['organizationId', 'problem', 'psaTicketId']).where((eb) => eb.and(open)).execute();
}

/**
 * Before a ticket create: records that `marker` may now be sent. True when no earlier attempt
 * left the record, so no create for this marker can have reached the PSA yet.
 */
export async function recordOpenIntent(db: Db, marker: string): Promise<boolean> {
  const r = await db.insertInto('ticketOpenIntents').values({ marker }).onConflict((oc) => oc.column('marker').doNothing()).returning('marker').executeTakeFirst();
  return r !== undefined;
}

/** The create for `marker` was never sent (refused before sending) or is recorded as a ticket: no record needed. */
export async function forgetOpenIntent(db: Db, marker: string): Promise<void> {
  await db.deleteFrom('ticketOpenIntents').where('marker', '=', marker).execute();
}
