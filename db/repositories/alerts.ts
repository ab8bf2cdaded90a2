/**
 * Backup alerts: received once per platform event id, and what became of each (outcome, reason,
 * ticket) so the platform and ops see every alert's fate without reading workflow history.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../connect';
import type { AlertEvent } from '../schema';
import type { AlertOutcome } from '../../workflows/ticket-messages';

export interface NewAlert {
  eventId: string;
  organizationId: string;
  problem: string;
  event: AlertEvent;
  occurredAt: string;
  detail: Record<string, unknown>;
}

export interface ReceivedAlert {
  partnerId: string;
  /** Where the organization is mapped (null: nowhere). */
  psa: string | null;
  /** The organization's directory status; nothing is inserted for a deleted one, nor a raise for a suspended one. */
  status: 'active' | 'suspended' | 'deleted';
  /** The row inserted for this event; null when the event id was known already. */
  inserted: { id: string; occurredAt: Date; receivedAt: Date } | null;
}

/**
 * One statement: the organization, where it is mapped, and the alert row inserted for it
 * (nothing when the event id is known already). Undefined when the organization does not exist.
 */
export async function receiveAlert(db: Db, input: NewAlert): Promise<ReceivedAlert | undefined> {
  const found = await db
    .with('org', (qb) =>
      qb
        .selectFrom('organizations as o')
        .leftJoin('organizationMappings as om', 'om.organizationId', 'o.id')
        .select(['o.id', 'o.partnerId', 'o.status', 'om.psa'])
        .where('o.id', '=', input.organizationId),
    )
    .with('ins', (qb) =>
      qb
        .insertInto('alerts')
        .columns(['eventId', 'partnerId', 'organizationId', 'problem', 'event', 'occurredAt', 'detail'])
        .expression((eb) =>
          eb
            .selectFrom('org')
            .select([
              eb.val(input.eventId).as('eventId'),
              'org.partnerId',
              'org.id',
              eb.val(input.problem).as('problem'),
              eb.val(input.event).as('event'),
              sql<Date>`${input.occurredAt}::timestamptz`.as('occurredAt'),
              sql<string>`${JSON.stringify(input.detail)}::jsonb`.as('detail'),
            ])
            // A suspended organization gets no new tickets (a recovery may still close one).
            .where('org.status', 'in', input.event === 'recovered' ? ['active', 'suspended'] : ['active']),
        )
        .onConflict((oc) => oc.column('eventId').doNothing())
        .returningAll(),
    )
    .selectFrom('org')
    .leftJoin('ins', (join) => join.onTrue())
    .select(['org.partnerId', 'org.psa', 'org.status', 'ins.id as insertedId', 'ins.occurredAt as insertedOccurredAt', 'ins.receivedAt as insertedReceivedAt'])
    .executeTakeFirst();
  if (!found) return undefined;
  const inserted =
    found.insertedId !== null && found.insertedOccurredAt !== null && found.insertedReceivedAt !== null
      ? { id: found.insertedId, occurredAt: found.insertedOccurredAt, receivedAt: found.insertedReceivedAt }
      : null;
  return { partnerId: found.partnerId, psa: found.psa, status: found.status as ReceivedAlert['status'], inserted };
}

export async function findAlertByEventId(db: Db, eventId: string) {
  return db.selectFrom('alerts').selectAll().where('eventId', '=', eventId).executeTakeFirst();
}

export interface AlertOutcomeRecord {
  alertIds: string[];
  outcome: AlertOutcome;
  /** A sentence (skips) or a code; null when the outcome says it all. */
  reason: string | null;
  ticketRowId: string | null;
  /** Merged into `alerts.detail` (e.g. which PSA connection the organization mapped to). */
  detail?: Record<string, unknown>;
}

/**
 * The update that writes an outcome onto alert rows (null when there are none), for `writeTogether`.
 * The ticket may be given as an expression, e.g. the id a sibling CTE inserted.
 */
export function alertOutcomeWrite(db: Db, rec: Omit<AlertOutcomeRecord, 'ticketRowId'> & { ticketRowId: string | null | RawBuilder<string> }) {
  if (rec.alertIds.length === 0) return null;
  return db
    .updateTable('alerts')
    .set({
      outcome: rec.outcome,
      reason: rec.reason,
      ticketId: rec.ticketRowId,
      handledAt: new Date(),
      ...(rec.detail ? { detail: sql`detail || ${JSON.stringify(rec.detail)}::jsonb` } : {}),
    })
    .where('id', 'in', rec.alertIds);
}

/** Writes an outcome onto alert rows. */
export async function recordAlertOutcome(db: Db, rec: AlertOutcomeRecord): Promise<void> {
  await alertOutcomeWrite(db, rec)?.execute();
}

/** As recordAlertOutcome, only onto alerts that have no outcome yet (an earlier attempt's stays). */
export async function recordFirstAlertOutcome(db: Db, rec: AlertOutcomeRecord): Promise<void> {
  await alertOutcomeWrite(db, rec)?.where('outcome', 'is', null).execute();
}

/** Remembers a signed delivery; false when it was received before (a replay). */
export async function recordWebhookReceipt(db: Db, id: string): Promise<boolean> {
  const fresh = await db.insertInto('webhookReceipts').values({ id }).onConflict((oc) => oc.column('id').doNothing()).returning('id').executeTakeFirst();
  return fresh !== undefined;
}
