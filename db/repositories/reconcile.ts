/**
 * Billing reconcile: what a run compares (every organization mapped on the connection with its
 * seat count and whether its plan is still mapped there), the drift report of each run, the
 * holds a person decides, and the health the platform was last told of.
 */
import { sql } from 'kysely';
import type { Db } from '../connect';
import type { Health } from '../schema';
import type { HoldStatus } from '../../domain/reconcile-rules';

/** Every organization mapped on the connection, with what reconcile needs to judge it. */
export async function reconcileTargetsOf(db: Db, connectionId: string) {
  return db
    .selectFrom('organizationMappings as m')
    .innerJoin('organizations as o', 'o.id', 'm.organizationId')
    .leftJoin('planMappings as p', (j) => j.onRef('p.planId', '=', 'o.planId').onRef('p.connectionId', '=', 'm.connectionId'))
    .select(['o.id as organizationId', 'o.seatCount', 'o.planId', 'm.values', 'm.status', 'm.statusReason', 'm.brokenBy', 'p.id as planMappingId'])
    .where('m.connectionId', '=', connectionId)
    .orderBy('o.id')
    .execute();
}

export type ReconcileTarget = Awaited<ReturnType<typeof reconcileTargetsOf>>[number];

/** Opens (or, for a retried activity, reopens) the report of a run. */
export async function startReport(db: Db, r: { connectionId: string; partnerId: string; runId: string }): Promise<void> {
  await db
    .insertInto('reconcileReports')
    .values({ ...r, status: 'running', detail: '{}' })
    .onConflict((oc) => oc.column('runId').doUpdateSet({ status: 'running', startedAt: sql<Date>`now()`, finishedAt: null }))
    .execute();
}

export interface ReportCounts {
  found: number;
  repaired: number;
  held: number;
  broken: number;
  psaCalls: number;
}

export async function finishReport(db: Db, runId: string, status: 'completed' | 'skipped' | 'failed', counts: ReportCounts, detail: Record<string, unknown>): Promise<void> {
  await db
    .updateTable('reconcileReports')
    .set({ status, ...counts, detail: JSON.stringify(detail), finishedAt: new Date() })
    .where('runId', '=', runId)
    .execute();
}

export async function reportsOf(db: Db, connectionId: string, limit: number) {
  return db
    .selectFrom('reconcileReports')
    .select(['id', 'runId', 'status', 'found', 'repaired', 'held', 'broken', 'psaCalls', 'detail', 'startedAt', 'finishedAt'])
    .where('connectionId', '=', connectionId)
    .orderBy('startedAt', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function reportOfRun(db: Db, runId: string) {
  return db.selectFrom('reconcileReports').selectAll().where('runId', '=', runId).executeTakeFirst();
}

/** The latest hold of each organization of the connection. */
export async function latestHoldsOf(db: Db, connectionId: string) {
  const rows = await db
    .selectFrom('reconcileHolds')
    .distinctOn('organizationId')
    .select(['id', 'organizationId', 'desired', 'psaQuantity', 'status'])
    .where('connectionId', '=', connectionId)
    .orderBy('organizationId')
    .orderBy('createdAt', 'desc')
    .execute();
  return new Map(rows.map((r) => [r.organizationId, r]));
}

/** A new pending hold; an older open one of the organization is superseded in the same transaction. */
export async function openHold(db: Db, h: { connectionId: string; partnerId: string; organizationId: string; desired: number; psaQuantity: number; reason: string }): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await trx
      .updateTable('reconcileHolds')
      .set({ status: 'superseded', updatedAt: new Date() })
      .where('organizationId', '=', h.organizationId)
      .where('status', 'in', ['pending', 'approved'])
      .execute();
    const row = await trx.insertInto('reconcileHolds').values(h).returning('id').executeTakeFirstOrThrow();
    return row.id;
  });
}

export async function markHoldApplied(db: Db, holdId: string): Promise<void> {
  await db.updateTable('reconcileHolds').set({ status: 'applied', updatedAt: new Date() }).where('id', '=', holdId).where('status', '=', 'approved').execute();
}

/** Approves or dismisses a pending hold of the connection; undefined when no such hold, else its status after. */
export async function decideHold(db: Db, connectionId: string, holdId: string, decision: 'approved' | 'dismissed', actor: string) {
  const decided = await db
    .updateTable('reconcileHolds')
    .set({ status: decision, decidedBy: actor, decidedAt: new Date(), updatedAt: new Date() })
    .where('id', '=', holdId)
    .where('connectionId', '=', connectionId)
    .where('status', '=', 'pending')
    .returning(['id', 'organizationId', 'desired', 'psaQuantity', 'status'])
    .executeTakeFirst();
  if (decided) return { decided: true as const, hold: decided };
  const existing = await db.selectFrom('reconcileHolds').select(['id', 'status']).where('id', '=', holdId).where('connectionId', '=', connectionId).executeTakeFirst();
  return existing ? { decided: false as const, status: existing.status as HoldStatus } : undefined;
}

export async function holdsOf(db: Db, connectionId: string, status: HoldStatus | undefined, limit: number) {
  let q = db
    .selectFrom('reconcileHolds')
    .select(['id', 'organizationId', 'desired', 'psaQuantity', 'reason', 'status', 'decidedBy', 'decidedAt', 'createdAt'])
    .where('connectionId', '=', connectionId);
  if (status) q = q.where('status', '=', status);
  return q.orderBy('createdAt', 'desc').orderBy('id').limit(limit).execute();
}

/** Who broke a mapping: `health` (its PSA company / contract inactive), null (its billing object gone). */
export type BrokenBy = 'health' | null;

/**
 * Sets a mapping broken with `reason`, found by `by`; true when it was not broken for that reason
 * before (tell the platform).
 */
export async function breakMapping(db: Db, organizationId: string, connectionId: string, reason: string, by: BrokenBy = null): Promise<boolean> {
  const r = await db
    .updateTable('organizationMappings')
    .set({ status: 'broken', statusReason: reason, brokenBy: by, updatedAt: new Date() })
    .where('organizationId', '=', organizationId)
    .where('connectionId', '=', connectionId)
    .where((eb) => eb.or([eb('status', '<>', 'broken'), eb('statusReason', 'is', null), eb('statusReason', '<>', reason)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * A broken mapping is mapped again by whoever found it broken, once that is fixed: reconcile
 * (`by` null) when the billing object is billable again, the health check (`health`) when the
 * company / contract is active again. Neither mends what the other found.
 */
export async function mendMapping(db: Db, organizationId: string, connectionId: string, by: BrokenBy = null): Promise<boolean> {
  const r = await db
    .updateTable('organizationMappings')
    .set({ status: 'mapped', statusReason: null, brokenBy: null, updatedAt: new Date() })
    .where('organizationId', '=', organizationId)
    .where('connectionId', '=', connectionId)
    .where('status', '=', 'broken')
    .where('brokenBy', by === null ? 'is' : '=', by)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Records the health the platform was just told of; true when it differed from the last one told. */
export async function claimHealthReport(db: Db, connectionId: string, health: Health): Promise<boolean> {
  const r = await db
    .updateTable('connections')
    .set({ healthReported: health })
    .where('id', '=', connectionId)
    // A connection starts healthy (connect tested it), so the first notice is of Unhealthy.
    .where(sql<string>`coalesce(health_reported, 'healthy')`, '<>', health)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Connections that should have schedules (live and connected). */
export async function connectedConnectionIds(db: Db): Promise<{ id: string; partnerId: string; health: Health }[]> {
  return db.selectFrom('connections').select(['id', 'partnerId', 'health']).where('status', '=', 'connected').execute();
}
