/**
 * The audit log: who did what to which integration or ticket, with the outcome and the vendor's
 * answer. Every row is shaped by `auditInsert`, whether written alone (`writeAudit`) or inside a
 * data-modifying CTE with the row it describes (`writeTogether`).
 */
import { sql } from 'kysely';
import type { Db } from '../connect';

export interface AuditEntry {
  partnerId: string | null;
  connectionId: string | null;
  actor: string;
  action: string;
  target?: string | null;
  outcome: 'ok' | 'error';
  detail?: Record<string, unknown>;
}

/** The insert of one audit row, to execute or to send with other writes. */
export function auditInsert(db: Db, entry: AuditEntry) {
  return db.insertInto('auditLog').values({
    partnerId: entry.partnerId,
    connectionId: entry.connectionId,
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    outcome: entry.outcome,
    detail: JSON.stringify(entry.detail ?? {}),
  });
}

export async function writeAudit(db: Db, entry: AuditEntry): Promise<void> {
  await auditInsert(db, entry).execute();
}

/** Writes the entry and returns its id and the database's time. */
export async function writeAuditReturning(db: Db, entry: AuditEntry): Promise<{ id: string; at: Date }> {
  const row = await auditInsert(db, entry).returning(['id', 'at']).executeTakeFirstOrThrow();
  return { id: String(row.id), at: row.at };
}

/** The audit rows of one ticket (by its marker) and the platform resets that name its row, oldest first. */
export async function ticketAuditTrail(db: Db, ticket: { id: string; marker: string }) {
  return db
    .selectFrom('auditLog')
    .selectAll()
    .where((eb) => eb.or([eb('target', '=', `ticket:${ticket.marker}`), eb.and([eb('action', '=', 'platform.alert_reset'), eb(sql<string>`detail->>'ticketRowId'`, '=', ticket.id)])]))
    .orderBy('id')
    .execute();
}
