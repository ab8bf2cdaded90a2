/**
 * The two Temporal Schedules of a connection: `reconcile-<connectionId>` (billing drift) and
 * `health-<connectionId>` (re-test + permission probe). Created when a connect finalizes,
 * deleted when it is discarded or revoked, the reconcile one paused while the connection is
 * Unhealthy. Both are plain schedules, so ops see, pause and trigger them in the Web UI too.
 * Every operation is idempotent: a retried activity finds its work done.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { PsaKind } from '../psa/core/types';
import { PartnerIdKey, VendorKey } from '../workflows/search-attributes';
import { connectionHealthWorkflowId, reconcileWorkflowId } from '../workflows/reconcile-ids';

export const reconcileScheduleId = (connectionId: string) => `reconcile-${connectionId}`;
export const healthScheduleId = (connectionId: string) => `health-${connectionId}`;

export interface ScheduleTiming {
  healthEverySeconds: number;
  reconcileEverySeconds: number;
}

export const DEFAULT_SCHEDULE_TIMING: ScheduleTiming = { healthEverySeconds: 300, reconcileEverySeconds: 21_600 };

export interface ScheduledConnection {
  connectionId: string;
  partnerId: string;
  psa: PsaKind;
  taskQueue: string;
}

const PAUSED_NOTE = 'connection unhealthy: no PSA call until it is healthy again';

export async function ensureConnectionSchedules(temporal: Client, c: ScheduledConnection, timing: ScheduleTiming, options: { paused?: boolean } = {}): Promise<void> {
  const attributes = [
    { key: PartnerIdKey, value: c.partnerId },
    { key: VendorKey, value: c.psa },
  ];
  const plans = [
    { scheduleId: reconcileScheduleId(c.connectionId), workflowType: 'reconcileWorkflow', workflowId: reconcileWorkflowId(c.connectionId), every: timing.reconcileEverySeconds, paused: options.paused === true },
    { scheduleId: healthScheduleId(c.connectionId), workflowType: 'connectionHealthWorkflow', workflowId: connectionHealthWorkflowId(c.connectionId), every: timing.healthEverySeconds, paused: false },
  ];
  for (const p of plans) {
    try {
      await temporal.schedule.create({
        scheduleId: p.scheduleId,
        spec: { intervals: [{ every: `${p.every}s` }] },
        action: {
          type: 'startWorkflow',
          workflowType: p.workflowType,
          workflowId: p.workflowId,
          taskQueue: c.taskQueue,
          args: [{ connectionId: c.connectionId }],
          typedSearchAttributes: attributes,
        },
        // A run still going when the next is due makes the next one wait its turn, never overlap.
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: `${Math.max(60, p.every)}s` },
        state: p.paused ? { paused: true, note: PAUSED_NOTE } : { note: 'created at connect' },
        typedSearchAttributes: attributes,
      });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }
}

export async function deleteConnectionSchedules(temporal: Client, connectionId: string): Promise<void> {
  for (const id of [reconcileScheduleId(connectionId), healthScheduleId(connectionId)]) {
    try {
      await temporal.schedule.getHandle(id).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
}

/** Pauses the reconcile schedule while Unhealthy and resumes it once Healthy; false when it does not exist. */
export async function setReconcilePaused(temporal: Client, connectionId: string, paused: boolean): Promise<boolean> {
  const handle = temporal.schedule.getHandle(reconcileScheduleId(connectionId));
  try {
    const d = await handle.describe();
    if (d.state.paused === paused) return true;
    if (paused) await handle.pause(PAUSED_NOTE);
    else await handle.unpause('connection healthy again');
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

export async function triggerSchedule(temporal: Client, scheduleId: string): Promise<void> {
  // A manual run while one is going waits for it rather than racing it (same PSA objects).
  await temporal.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.BUFFER_ONE);
}

export interface ScheduleView {
  scheduleId: string;
  paused: boolean;
  note: string | null;
  everySeconds: number | null;
  nextRunAt: string | null;
  recentRuns: { workflowId: string; scheduledAt: string }[];
}

export async function describeSchedule(temporal: Client, scheduleId: string): Promise<ScheduleView | null> {
  try {
    const d = await temporal.schedule.getHandle(scheduleId).describe();
    const every = d.spec.intervals?.[0]?.every;
    return {
      scheduleId,
      paused: d.state.paused,
      note: d.state.note ?? null,
      everySeconds: typeof every === 'number' ? Math.round(every / 1000) : null,
      nextRunAt: d.info.nextActionTimes[0]?.toISOString() ?? null,
      recentRuns: d.info.recentActions.map((a) => ({ workflowId: a.action.workflow.workflowId, scheduledAt: a.scheduledAt.toISOString() })),
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}
