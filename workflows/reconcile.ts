/**
 * The two workflows the per-connection schedules start (infra/connection-schedules.ts). Each is
 * one activity: the work is a list pass and idempotent absolute sets, so a retried attempt
 * lists again and repeats nothing; the workflow only adds Temporal's retries and visibility.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ReconcileActivities, ReconcileSummary } from '../activities/reconcile';
import type { HealthCheckActivities, HealthCheckResult } from '../activities/health-check';
import { NON_RETRYABLE } from './options';
import type { ScheduledRunInput } from './reconcile-ids';

const { reconcileConnection } = proxyActivities<ReconcileActivities>({
  // 10,000 organizations take tens of seconds inside the vendors' budgets; a slow PSA, minutes.
  startToCloseTimeout: '1h',
  // A dead worker's attempt is noticed within seconds (the activity heartbeats every second).
  heartbeatTimeout: '10s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m', maximumAttempts: 6, nonRetryableErrorTypes: NON_RETRYABLE },
});

const { checkConnectionHealth } = proxyActivities<HealthCheckActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 4, nonRetryableErrorTypes: NON_RETRYABLE },
});

export async function reconcileWorkflow(input: ScheduledRunInput): Promise<ReconcileSummary> {
  return reconcileConnection(input);
}

export async function connectionHealthWorkflow(input: ScheduledRunInput): Promise<HealthCheckResult> {
  return checkConnectionHealth(input);
}
