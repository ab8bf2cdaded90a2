/**
 * The seat-sync write: read the organization's current seat count and mapping, and set the
 * PSA billing quantity to it (ConnectWise agreement addition, Autotask contract service units,
 * HaloPSA software licence). Absolute and idempotent, so a retry or a replayed run changes
 * nothing twice. Every PSA write lands in the audit log with the vendor's answer.
 */
import type { ActivityDeps } from './deps';
import { adapterProviderFor } from '../infra/psa-adapters';
import { PsaAuthError, PsaNotFoundError, isPsaError } from '../psa/core/errors';
import { seatSyncSwitchedOff } from '../domain/rules';
import { recordSeatSync, seatPushTargetOf } from '../db/repositories/seats';
import { markOrganizationMappingBroken } from '../db/repositories/mappings';
import { writeAudit } from '../db/repositories/audit';
import { connectionRefused } from './connection-health';

export type SeatPushStatus = 'in_sync' | 'updated' | 'skipped';

export interface SeatPushOutcome {
  status: SeatPushStatus;
  reason: string | null;
  previous: number | null;
  current: number | null;
}

const SEAT_SYNC_ACTOR = 'seat-sync';

export function createSeatActivities(deps: ActivityDeps) {
  const { db } = deps;
  const adapters = adapterProviderFor(deps);
  const skipped = (reason: string): SeatPushOutcome => ({ status: 'skipped', reason, previous: null, current: null });

  return {
    async pushSeatQuantity(organizationId: string): Promise<SeatPushOutcome> {
      const row = await seatPushTargetOf(db, organizationId);
      if (!row) return skipped('organization does not exist');
      // A suspended organization's billing is left as it is; a deleted one's too (its mapping is being unlinked).
      if (row.organizationStatus !== 'active') return skipped(`organization is ${row.organizationStatus}`);
      if (!row.connectionId || !row.values || !row.psa || row.connectionStatus !== 'connected') return skipped('organization is not mapped to a connected PSA');
      if (row.mappingStatus === 'broken') return skipped('organization mapping is broken');
      const switchedOff = seatSyncSwitchedOff(row.psa, row.settings);
      if (switchedOff) return skipped(switchedOff);
      const connectionId = row.connectionId;
      const desired = row.seatCount;
      const audit = (outcome: 'ok' | 'error', detail: Record<string, unknown>) =>
        writeAudit(db, { partnerId: row.partnerId, connectionId, actor: SEAT_SYNC_ACTOR, action: 'psa.set_quantity', target: organizationId, outcome, detail });
      try {
        const { adapter } = await adapters.forConnection(connectionId);
        const change = await adapter.setQuantity(row.values, desired);
        await recordSeatSync(db, { organizationId, connectionId, desired, status: 'in_sync', error: null });
        await audit('ok', { previous: change.previous, current: change.current });
        return { status: change.previous === change.current ? 'in_sync' : 'updated', reason: null, previous: change.previous, current: change.current };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await recordSeatSync(db, { organizationId, connectionId, desired, status: 'failed', error: message });
        // The billing object was deleted in the PSA: the mapping is broken until the partner re-maps it.
        if (err instanceof PsaNotFoundError) await markOrganizationMappingBroken(db, organizationId, 'billing object not found in the PSA');
        if (isPsaError(err)) await audit('error', { error: message });
        if (err instanceof PsaAuthError) await connectionRefused({ ...deps, adapters }, { id: connectionId, partnerId: row.partnerId, psa: row.psa }, err, SEAT_SYNC_ACTOR);
        throw err;
      }
    },
  };
}
