/**
 * Billing reconcile and connection health for the platform and the portal: trigger a run (the
 * same schedule action the Web UI's "Trigger" starts), see the schedules, list drift reports and
 * holds, approve or dismiss a hold. An approved hold is written by the next run, which this
 * client triggers at once.
 */
import { z } from 'zod';
import type { PsaKind } from '../psa/core/types';
import { ConnectionUnhealthyError, NotFound, RuleViolation, parseOrThrow } from '../domain/errors';
import { canonicalUuid } from '../domain/input';
import { liveConnection } from '../db/repositories/integrations';
import { decideHold, holdsOf, reportsOf } from '../db/repositories/reconcile';
import { writeAudit } from '../db/repositories/audit';
import {
  DEFAULT_SCHEDULE_TIMING,
  describeSchedule,
  ensureConnectionSchedules,
  healthScheduleId,
  reconcileScheduleId,
  triggerSchedule,
  type ScheduleTiming,
} from '../infra/connection-schedules';
import type { ClientDeps } from './deps';

export const holdStatusSchema = z.enum(['pending', 'approved', 'dismissed', 'applied', 'superseded']);
export const listQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();
export const holdsQuerySchema = z.object({ status: holdStatusSchema.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();

export interface ReconcileClientOptions extends ClientDeps {
  /** Periods of the schedules `ensureSchedules` creates. */
  timing?: ScheduleTiming;
}

export function createReconcileClient(opts: ReconcileClientOptions) {
  const { db, temporal, taskQueue } = opts;
  const timing = opts.timing ?? DEFAULT_SCHEDULE_TIMING;

  async function connectionOf(partnerId: string, psa: PsaKind) {
    const c = await liveConnection(db, partnerId, psa);
    if (!c || c.status !== 'connected') throw new NotFound('PSA connection');
    return c;
  }

  return {
    /** Creates the connection's schedules if missing (connect does this; for connections made before schedules existed). */
    async ensureSchedules(partnerId: string, psa: PsaKind): Promise<{ reconcile: string; health: string }> {
      const c = await connectionOf(partnerId, psa);
      await ensureConnectionSchedules(temporal, { connectionId: c.id, partnerId, psa, taskQueue }, timing, { paused: c.health === 'unhealthy' });
      return { reconcile: reconcileScheduleId(c.id), health: healthScheduleId(c.id) };
    },

    /** Both schedules as Temporal holds them: paused or not, period, next and recent runs. */
    async schedules(partnerId: string, psa: PsaKind) {
      const c = await connectionOf(partnerId, psa);
      return { connectionId: c.id, reconcile: await describeSchedule(temporal, reconcileScheduleId(c.id)), health: await describeSchedule(temporal, healthScheduleId(c.id)) };
    },

    /** Starts a reconcile run now (refused while Unhealthy: no PSA call then). */
    async triggerReconcile(partnerId: string, psa: PsaKind, actor: string): Promise<{ scheduleId: string }> {
      const c = await connectionOf(partnerId, psa);
      if (c.health === 'unhealthy') throw new ConnectionUnhealthyError(c.healthReason);
      const scheduleId = reconcileScheduleId(c.id);
      await triggerOrNotFound(scheduleId);
      await writeAudit(db, { partnerId, connectionId: c.id, actor, action: 'reconcile.trigger', outcome: 'ok' });
      return { scheduleId };
    },

    /** Re-tests the connection now (allowed while Unhealthy: it is the way back). */
    async triggerHealthCheck(partnerId: string, psa: PsaKind, actor: string): Promise<{ scheduleId: string }> {
      const c = await connectionOf(partnerId, psa);
      const scheduleId = healthScheduleId(c.id);
      await triggerOrNotFound(scheduleId);
      await writeAudit(db, { partnerId, connectionId: c.id, actor, action: 'health.trigger', outcome: 'ok' });
      return { scheduleId };
    },

    async reports(partnerId: string, psa: PsaKind, query: unknown = {}) {
      const { limit } = parseOrThrow(listQuerySchema, query, 'query');
      const c = await connectionOf(partnerId, psa);
      return (await reportsOf(db, c.id, limit)).map((r) => ({
        ...r,
        startedAt: r.startedAt.toISOString(),
        finishedAt: r.finishedAt ? new Date(r.finishedAt).toISOString() : null,
      }));
    },

    async holds(partnerId: string, psa: PsaKind, query: unknown = {}) {
      const { status, limit } = parseOrThrow(holdsQuerySchema, query, 'query');
      const c = await connectionOf(partnerId, psa);
      return (await holdsOf(db, c.id, status, limit)).map((h) => ({
        ...h,
        createdAt: h.createdAt.toISOString(),
        decidedAt: h.decidedAt ? new Date(h.decidedAt).toISOString() : null,
      }));
    },

    /** Approves a pending hold; the run this triggers writes it. */
    async approveHold(partnerId: string, psa: PsaKind, holdId: string, actor: string) {
      return decide(partnerId, psa, holdId, 'approved', actor);
    },

    /** Dismisses a pending hold: the same drift is not held again until the count or the PSA changes. */
    async dismissHold(partnerId: string, psa: PsaKind, holdId: string, actor: string) {
      return decide(partnerId, psa, holdId, 'dismissed', actor);
    },
  };

  async function triggerOrNotFound(scheduleId: string): Promise<void> {
    try {
      await triggerSchedule(temporal, scheduleId);
    } catch (err) {
      if (err instanceof Error && err.name === 'ScheduleNotFoundError') throw new NotFound('Schedule');
      throw err;
    }
  }

  async function decide(partnerId: string, psa: PsaKind, holdId: string, decision: 'approved' | 'dismissed', actor: string) {
    parseOrThrow(canonicalUuid(), holdId, 'holdId');
    const c = await liveConnection(db, partnerId, psa);
    if (!c || c.status !== 'connected') throw new NotFound('PSA connection');
    const r = await decideHold(db, c.id, holdId, decision, actor);
    if (!r) throw new NotFound('Hold');
    if (!r.decided) throw new RuleViolation('hold_already_decided', `This hold is already ${r.status}.`);
    await writeAudit(db, { partnerId, connectionId: c.id, actor, action: `reconcile.hold.${decision === 'approved' ? 'approve' : 'dismiss'}`, target: r.hold.organizationId, outcome: 'ok', detail: { holdId, desired: r.hold.desired, psa: r.hold.psaQuantity } });
    if (decision === 'approved' && c.health === 'healthy') await triggerSchedule(temporal, reconcileScheduleId(c.id)).catch(() => undefined); // the next scheduled run writes it otherwise
    return { holdId, status: decision };
  }
}

export type ReconcileClient = ReturnType<typeof createReconcileClient>;
