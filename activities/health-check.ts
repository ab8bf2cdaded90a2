/**
 * The health schedule's step: re-test the connection and probe its rights. A refused login
 * (locked or deactivated API user) makes it Unhealthy with the reason; a passing test makes it
 * Healthy again; a right the integration needs that the API user lost makes it Unhealthy naming the
 * right, as at connect and at a manual re-test. An outage changes nothing (Temporal retries). While
 * Unhealthy only the test and its read-only probe are made, never any other call. The
 * platform is told of each change once (`health_reported`), whichever activity noticed it, and
 * the reconcile schedule is paused while Unhealthy.
 */
import type { ActivityDeps } from './deps';
import { findConnection } from '../db/repositories/integrations';
import { claimHealthReport } from '../db/repositories/reconcile';
import { writeAudit } from '../db/repositories/audit';
import { testStoredConnection } from './connection-test';
import { lifecycleContext, typed } from './lifecycle-support';
import { notifyPlatform } from './platform-notices';
import type { ScheduledRunInput } from '../workflows/reconcile-ids';
import { Context } from '@temporalio/activity';

function runKey(): string {
  try {
    return Context.current().info.workflowExecution?.runId ?? 'manual';
  } catch {
    return 'manual';
  }
}

export const HEALTH_ACTOR = 'health-check';

export interface HealthCheckResult {
  health: 'healthy' | 'unhealthy' | null;
  reason: string | null;
  /** The platform was told of a change by this check. */
  reported: boolean;
  /** Rights the API user lacks (each naming the vendor right to add); any makes the connection Unhealthy. */
  missingRights: string[];
}

export function createHealthCheckActivities(deps: ActivityDeps) {
  const ctx = lifecycleContext(deps);
  const { db } = deps;

  return {
    async checkConnectionHealth({ connectionId }: ScheduledRunInput): Promise<HealthCheckResult> {
      return typed(async () => {
        const row = await findConnection(db, connectionId);
        if (!row || row.status !== 'connected') return { health: null, reason: null, reported: false, missingRights: [] };
        const { health, reason, missingRights } = await testStoredConnection(ctx, row, HEALTH_ACTOR);
        if (health === 'healthy' && row.health !== 'healthy') {
          await writeAudit(db, { partnerId: row.partnerId, connectionId, actor: HEALTH_ACTOR, action: 'integration.health', outcome: 'ok', detail: { health } });
        }
        // Told before it is recorded, under a key fixed for this run, so a retry re-sends the same notice.
        let reported = false;
        if ((row.healthReported ?? 'healthy') !== health) {
          await notifyPlatform(deps, {
            type: 'connection.health',
            partnerId: row.partnerId,
            connectionId,
            idempotencyKey: `health:${connectionId}:${health}:${runKey()}`,
            actor: HEALTH_ACTOR,
            body: { psa: row.psa, health, reason },
          });
          reported = await claimHealthReport(db, connectionId, health);
        }
        return { health, reason, reported, missingRights };
      });
    },
  };
}

export type HealthCheckActivities = ReturnType<typeof createHealthCheckActivities>;
