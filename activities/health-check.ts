/**
 * The health schedule's step: re-test the connection and probe its rights. A refused login
 * (locked or deactivated API user) or a missing right makes it Unhealthy with the reason; a
 * passing test with every right makes it Healthy again. An outage changes nothing (Temporal
 * retries). While Unhealthy only the test is made, never the probe or any other call. The
 * platform is told of each change once (`health_reported`), whichever activity noticed it, and
 * the reconcile schedule is paused while Unhealthy.
 */
import type { ActivityDeps } from './deps';
import { PSA_LABELS } from '../psa/core/types';
import { PsaAuthError, PsaPermissionError } from '../psa/core/errors';
import { findConnection, markHealthy, markUnhealthy } from '../db/repositories/integrations';
import { claimHealthReport } from '../db/repositories/reconcile';
import { writeAudit } from '../db/repositories/audit';
import { setReconcilePaused } from '../infra/connection-schedules';
import { connectionRefused } from './connection-health';
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
}

export function createHealthCheckActivities(deps: ActivityDeps) {
  const ctx = lifecycleContext(deps);
  const { db } = deps;

  return {
    async checkConnectionHealth({ connectionId }: ScheduledRunInput): Promise<HealthCheckResult> {
      return typed(async () => {
        const row = await findConnection(db, connectionId);
        if (!row || row.status !== 'connected') return { health: null, reason: null, reported: false };
        const wasHealthy = row.health === 'healthy';
        let health: 'healthy' | 'unhealthy';
        let reason: string | null = null;
        try {
          const { adapter } = await ctx.adapters.forConnection(connectionId, { allowUnhealthy: true });
          const info = await adapter.testConnection();
          const rights = await adapter.probePermissions();
          if (rights.missing.length) {
            health = 'unhealthy';
            reason = `The ${PSA_LABELS[row.psa]} API user lacks rights: ${rights.missing.map((m) => m.detail).join('; ')}`;
            if (await markUnhealthy(db, connectionId, reason)) {
              ctx.adapters.invalidate(connectionId);
              await writeAudit(db, { partnerId: row.partnerId, connectionId, actor: HEALTH_ACTOR, action: 'integration.health', outcome: 'error', detail: { health, reason } });
            }
          } else {
            health = 'healthy';
            await markHealthy(db, connectionId, { ...info.site, accountName: info.accountName, ...(info.version ? { version: info.version } : {}) });
            if (!wasHealthy) await writeAudit(db, { partnerId: row.partnerId, connectionId, actor: HEALTH_ACTOR, action: 'integration.health', outcome: 'ok', detail: { health } });
          }
        } catch (err) {
          if (err instanceof PsaAuthError) {
            health = 'unhealthy';
            reason = await connectionRefused(ctx, row, err, HEALTH_ACTOR);
          } else if (err instanceof PsaPermissionError) {
            health = 'unhealthy';
            reason = `${PSA_LABELS[row.psa]} refused the test call: ${err.message}`;
            await markUnhealthy(db, connectionId, reason);
            ctx.adapters.invalidate(connectionId);
          } else {
            throw err; // an outage says nothing about the credentials: retried, health unchanged
          }
        }
        await setReconcilePaused(deps.temporal, connectionId, health === 'unhealthy');
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
        return { health, reason, reported };
      });
    },
  };
}

export type HealthCheckActivities = ReturnType<typeof createHealthCheckActivities>;
