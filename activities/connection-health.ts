/**
 * How a connection becomes Unhealthy: the PSA refuses its stored credentials (a locked or
 * inactive API user, a revoked key), whichever activity made the call, or a re-test finds a right
 * missing. The row gets one sentence (domain/rules.ts), the change is audited and logged once,
 * and the cached adapter is dropped; from then on the adapter provider refuses every PSA call
 * except the re-test. The reconcile schedule is paused at once, whichever activity noticed (the
 * health run would pause it too, but only on its next period).
 */
import type { PsaKind } from '../psa/core/types';
import type { PsaAuthError } from '../psa/core/errors';
import { unhealthyReason } from '../domain/rules';
import { markUnhealthy } from '../db/repositories/integrations';
import { writeAudit } from '../db/repositories/audit';
import type { AdapterProvider } from '../infra/psa-adapters';
import { setReconcilePaused } from '../infra/connection-schedules';
import type { ActivityDeps } from './deps';

export interface RefusedConnection {
  id: string;
  partnerId: string;
  psa: PsaKind;
}

/** `temporal` absent: nothing to pause (a caller outside the worker). */
export type HealthDeps = Pick<ActivityDeps, 'db' | 'log'> & { adapters: AdapterProvider; temporal?: ActivityDeps['temporal'] };

/** Marks the connection Unhealthy after `err`; returns the reason it now carries. */
export async function connectionRefused(deps: HealthDeps, connection: RefusedConnection, err: PsaAuthError, actor: string): Promise<string> {
  return markConnectionUnhealthy(deps, connection, unhealthyReason(connection.psa, err), actor);
}

/** Marks the connection Unhealthy with `reason` (a refusal, or rights the API user lost). */
export async function markConnectionUnhealthy(deps: HealthDeps, connection: RefusedConnection, reason: string, actor: string): Promise<string> {
  const changed = await markUnhealthy(deps.db, connection.id, reason);
  deps.adapters.invalidate(connection.id);
  if (changed) {
    await writeAudit(deps.db, { partnerId: connection.partnerId, connectionId: connection.id, actor, action: 'integration.health', outcome: 'error', detail: { health: 'unhealthy', reason } });
    deps.log.warn('PSA connection became unhealthy', { connectionId: connection.id, psa: connection.psa });
    // Best effort: the health run pauses it on its next period should this fail.
    if (deps.temporal) {
      await setReconcilePaused(deps.temporal, connection.id, true).catch((err: unknown) =>
        deps.log.warn('pausing the reconcile schedule failed', { connectionId: connection.id, error: err instanceof Error ? err.message : String(err) }),
      );
    }
  }
  return reason;
}
