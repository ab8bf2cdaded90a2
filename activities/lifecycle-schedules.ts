/**
 * The lifecycle's side of the per-connection schedules (infra/connection-schedules.ts): created
 * with the activity's own task queue when a connect finalizes, dropped on discard and revoke,
 * the reconcile one paused while a re-test finds the connection Unhealthy.
 */
import { Context } from '@temporalio/activity';
import type { PsaKind } from '../psa/core/types';
import { deleteConnectionSchedules, ensureConnectionSchedules, setReconcilePaused } from '../infra/connection-schedules';
import { DEFAULT_RECONCILE_SETTINGS, type ActivityDeps } from './deps';

function taskQueue(): string | null {
  try {
    return Context.current().info.taskQueue;
  } catch {
    return null; // outside an activity (unit use): nothing to schedule onto
  }
}

/** Creates the schedules if missing; the reconcile one paused when the connection is Unhealthy by then. */
export async function connectionSchedulesOf(deps: ActivityDeps, c: { connectionId: string; partnerId: string; psa: PsaKind; unhealthy?: boolean }): Promise<void> {
  const queue = taskQueue();
  if (!queue) return;
  const timing = deps.reconcile ?? DEFAULT_RECONCILE_SETTINGS;
  const { unhealthy, ...connection } = c;
  await ensureConnectionSchedules(deps.temporal, { ...connection, taskQueue: queue }, timing, { paused: unhealthy === true });
}

export async function dropConnectionSchedules(deps: ActivityDeps, connectionId: string): Promise<void> {
  if (!taskQueue()) return;
  await deleteConnectionSchedules(deps.temporal, connectionId);
}

export async function pauseReconcileWhile(deps: ActivityDeps, connectionId: string, unhealthy: boolean): Promise<void> {
  if (!taskQueue()) return;
  await setReconcilePaused(deps.temporal, connectionId, unhealthy);
}
