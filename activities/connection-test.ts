/**
 * One test of a connection's stored credentials, the same whoever asks: the health schedule or a
 * person's re-test. The PSA's test call, then its rights probed and judged as at connect: a
 * refused login (locked or deactivated API user) or a right the integration needs that is gone
 * makes the connection Unhealthy with one sentence naming why; otherwise it is Healthy with the
 * site facts refreshed. Rights only an optional feature needs (the import's billing objects) are
 * named in `limitations` and change nothing about the health. The reconcile schedule is paused while Unhealthy. An outage throws and
 * changes nothing: it says nothing about the credentials.
 */
import { PSA_LABELS, type ConnectionInfo, type LimitedRight } from '../psa/core/types';
import { PsaAuthError, PsaPermissionError } from '../psa/core/errors';
import { permissionsMissing } from '../domain/rules';
import { markHealthy } from '../db/repositories/integrations';
import type { Connection } from '../db/schema';
import { connectionRefused, markConnectionUnhealthy } from './connection-health';
import { pauseReconcileWhile } from './lifecycle-schedules';
import type { LifecycleContext } from './lifecycle-support';

export interface ConnectionVerdict {
  health: 'healthy' | 'unhealthy';
  reason: string | null;
  /** Rights the API user lacks, each naming the vendor right to add. */
  missingRights: string[];
  /** Rights only optional features need (the import's billing objects): named, the connection stays Healthy. */
  limitations: LimitedRight[];
}

/** What a passing test records of the PSA's site. */
export const siteFacts = (info: ConnectionInfo): Record<string, string> => ({ ...info.site, accountName: info.accountName, ...(info.version ? { version: info.version } : {}) });

export async function testStoredConnection(ctx: LifecycleContext, row: Connection, actor: string): Promise<ConnectionVerdict> {
  const verdict = await judge(ctx, row, actor);
  await pauseReconcileWhile(ctx, row.id, verdict.health === 'unhealthy');
  return verdict;
}

async function judge(ctx: LifecycleContext, row: Connection, actor: string): Promise<ConnectionVerdict> {
  try {
    const { adapter } = await ctx.adapters.forConnection(row.id, { allowUnhealthy: true });
    const info = await adapter.testConnection();
    const { missing, limited } = await adapter.probePermissions();
    if (missing.length > 0) {
      const reason = await markConnectionUnhealthy(ctx, row, permissionsMissing(row.psa, missing).message, actor);
      return { health: 'unhealthy', reason, missingRights: missing.map((m) => m.detail), limitations: limited };
    }
    await markHealthy(ctx.db, row.id, siteFacts(info));
    return { health: 'healthy', reason: null, missingRights: [], limitations: limited };
  } catch (err) {
    if (err instanceof PsaAuthError) {
      return { health: 'unhealthy', reason: await connectionRefused(ctx, row, err, actor), missingRights: [], limitations: [] };
    }
    if (err instanceof PsaPermissionError) {
      const reason = await markConnectionUnhealthy(ctx, row, `${PSA_LABELS[row.psa]} refused the test call: ${err.message}`, actor);
      return { health: 'unhealthy', reason, missingRights: [], limitations: [] };
    }
    throw err;
  }
}
