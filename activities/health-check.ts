/**
 * The health schedule's step: re-test the connection and probe its rights. A refused login
 * (locked or deactivated API user) makes it Unhealthy with the reason; a passing test makes it
 * Healthy again; a right the integration needs that the API user lost makes it Unhealthy naming the
 * right, as at connect and at a manual re-test. An outage changes nothing (Temporal retries). While
 * Unhealthy only the test and its read-only probe are made, never any other call. The
 * platform is told of each change once (`health_reported`), whichever activity noticed it, and
 * the reconcile schedule is paused while Unhealthy.
 *
 * A Healthy run also checks the mappings' PSA companies and contracts / agreements / customers
 * (`adapter.inactiveParents`, lists reconcile does not pay for): a mapping whose company or
 * contract is inactive is marked broken by `health` and the platform is told of the newly broken
 * ones through the same callback reconcile uses (before they are recorded, under a key fixed for
 * the run, so a retry re-sends the same notice); one active again is mended. Reconcile reports
 * these from the stored state and leaves them alone.
 */
import type { ActivityDeps } from './deps';
import { findConnection } from '../db/repositories/integrations';
import { breakMapping, claimHealthReport, mendMapping, reconcileTargetsOf } from '../db/repositories/reconcile';
import { writeAudit } from '../db/repositories/audit';
import { testStoredConnection } from './connection-test';
import { lifecycleContext, typed, withAdapter } from './lifecycle-support';
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
  /** What the mapping check of a Healthy run found (null when it did not run). */
  mappings: MappingCheck | null;
}

export interface MappingCheck {
  /** Mappings newly broken because their PSA company or contract is inactive (the platform was told). */
  broken: number;
  /** Mappings this check had broken that are active again. */
  mended: number;
  /** PSA requests the lists made. */
  psaCalls: number;
}

export function createHealthCheckActivities(deps: ActivityDeps) {
  const ctx = lifecycleContext(deps);
  const { db } = deps;

  return {
    async checkConnectionHealth({ connectionId }: ScheduledRunInput): Promise<HealthCheckResult> {
      return typed(async () => {
        const row = await findConnection(db, connectionId);
        if (!row || row.status !== 'connected') return { health: null, reason: null, reported: false, missingRights: [], mappings: null };
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
        // Only a Healthy connection is asked anything beyond the test: none while Unhealthy.
        const mappings = health === 'healthy' ? await checkMappingParents(row.id, row.partnerId, row.psa) : null;
        return { health, reason, reported, missingRights, mappings };
      });
    },
  };

  async function checkMappingParents(connectionId: string, partnerId: string, psa: string): Promise<MappingCheck> {
    const targets = await reconcileTargetsOf(db, connectionId);
    if (!targets.length) return { broken: 0, mended: 0, psaCalls: 0 };
    const snapshot = await withAdapter(ctx, connectionId, HEALTH_ACTOR, (adapter) => adapter.inactiveParents(targets.map((t) => t.values)));
    const newly: { organizationId: string; reason: string }[] = [];
    const active: string[] = [];
    for (const [i, t] of targets.entries()) {
      const reason = snapshot.inactive[i] ?? null;
      if (reason !== null && !(t.status === 'broken' && t.statusReason === reason)) newly.push({ organizationId: t.organizationId, reason });
      if (reason === null && t.status === 'broken' && t.brokenBy === 'health') active.push(t.organizationId);
    }
    if (newly.length) {
      await notifyPlatform(deps, {
        type: 'mapping.broken',
        partnerId,
        connectionId,
        idempotencyKey: `mapping-broken:health:${connectionId}:${runKey()}`,
        actor: HEALTH_ACTOR,
        body: { psa, mappings: newly },
      });
    }
    for (const b of newly) await breakMapping(db, b.organizationId, connectionId, b.reason, 'health');
    let mended = 0;
    for (const organizationId of active) {
      if (!(await mendMapping(db, organizationId, connectionId, 'health'))) continue;
      mended += 1;
      await writeAudit(db, { partnerId, connectionId, actor: HEALTH_ACTOR, action: 'mapping.mended', target: organizationId, outcome: 'ok' });
    }
    return { broken: newly.length, mended, psaCalls: snapshot.calls };
  }
}

export type HealthCheckActivities = ReturnType<typeof createHealthCheckActivities>;
