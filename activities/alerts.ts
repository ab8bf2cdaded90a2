/**
 * What happened to each alert, written onto its `alerts` row (outcome, reason, ticket) so the
 * platform and ops can see every alert's fate without reading workflow history.
 */
import { sql, type RawBuilder } from 'kysely';
import type { ActivityDeps } from './deps';
import type { Db } from '../db/connect';
import type { AlertOutcome } from '../workflows/ticket-messages';

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

/** Writes an outcome onto alert rows; ticket activities call it in the same attempt as their PSA write. */
export async function recordAlertOutcome(db: Db, rec: AlertOutcomeRecord): Promise<void> {
  await alertOutcomeWrite(db, rec)?.execute();
}

export function createAlertActivities({ db }: ActivityDeps) {
  return {
    recordAlertOutcome: (rec: AlertOutcomeRecord): Promise<void> => recordAlertOutcome(db, rec),
  };
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;
