/**
 * The seat-sync write: read the organization's current seat count and mapping, and set the
 * PSA billing quantity to it (ConnectWise agreement addition, Autotask contract service units,
 * HaloPSA software licence). Absolute and idempotent, so a retry or a replayed run changes
 * nothing twice. Every PSA write lands in the audit log with the vendor's answer.
 */
import type { ActivityDeps } from './deps';
import { adapterProviderFor } from './psa-connections';
import { PsaNotFoundError, isPsaError } from '../psa/core/errors';

export type SeatPushStatus = 'in_sync' | 'updated' | 'skipped';

export interface SeatPushOutcome {
  status: SeatPushStatus;
  reason: string | null;
  previous: number | null;
  current: number | null;
}

export function createSeatActivities(deps: ActivityDeps) {
  const { db } = deps;
  const adapters = adapterProviderFor(deps);

  const record = async (organizationId: string, connectionId: string, desired: number, status: 'in_sync' | 'failed', error: string | null) => {
    await db
      .insertInto('seatSyncState')
      .values({ organizationId, connectionId, desiredQuantity: desired, pushedQuantity: status === 'in_sync' ? desired : null, status, lastError: error, lastSyncedAt: new Date() })
      .onConflict((oc) =>
        oc.column('organizationId').doUpdateSet({
          connectionId,
          desiredQuantity: desired,
          ...(status === 'in_sync' ? { pushedQuantity: desired, lastSyncedAt: new Date() } : {}),
          status,
          lastError: error,
          updatedAt: new Date(),
        }),
      )
      .execute();
  };

  return {
    async pushSeatQuantity(organizationId: string): Promise<SeatPushOutcome> {
      const row = await db
        .selectFrom('organizations as o')
        .leftJoin('organizationMappings as m', 'm.organizationId', 'o.id')
        .leftJoin('connections as c', 'c.id', 'm.connectionId')
        .leftJoin('ticketMappings as t', 't.connectionId', 'c.id')
        .select(['o.seatCount', 'o.partnerId', 'm.values', 'm.status as mappingStatus', 'c.id as connectionId', 'c.psa', 'c.status as connectionStatus', 't.settings'])
        .where('o.id', '=', organizationId)
        .executeTakeFirst();
      if (!row) return { status: 'skipped', reason: 'organization does not exist', previous: null, current: null };
      if (!row.connectionId || !row.values || row.connectionStatus !== 'connected') {
        return { status: 'skipped', reason: 'organization is not mapped to a connected PSA', previous: null, current: null };
      }
      if (row.mappingStatus === 'broken') return { status: 'skipped', reason: 'organization mapping is broken', previous: null, current: null };
      if (row.psa === 'halopsa' && row.settings?.syncSeatQuantity === 'false') {
        return { status: 'skipped', reason: 'seat sync is switched off in the HaloPSA integration configuration', previous: null, current: null };
      }
      const desired = row.seatCount;
      try {
        const { adapter } = await adapters.forConnection(row.connectionId);
        const change = await adapter.setQuantity(row.values, desired);
        await record(organizationId, row.connectionId, desired, 'in_sync', null);
        await db
          .insertInto('auditLog')
          .values({
            partnerId: row.partnerId,
            connectionId: row.connectionId,
            actor: 'seat-sync',
            action: 'psa.set_quantity',
            target: organizationId,
            outcome: 'ok',
            detail: JSON.stringify({ previous: change.previous, current: change.current }),
          })
          .execute();
        return { status: change.previous === change.current ? 'in_sync' : 'updated', reason: null, previous: change.previous, current: change.current };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await record(organizationId, row.connectionId, desired, 'failed', message);
        if (err instanceof PsaNotFoundError) {
          // The billing object was deleted in the PSA: the mapping is broken until the partner re-maps it.
          await db.updateTable('organizationMappings').set({ status: 'broken', statusReason: 'billing object not found in the PSA', updatedAt: new Date() }).where('organizationId', '=', organizationId).execute();
        }
        if (isPsaError(err)) {
          await db
            .insertInto('auditLog')
            .values({ partnerId: row.partnerId, connectionId: row.connectionId, actor: 'seat-sync', action: 'psa.set_quantity', target: organizationId, outcome: 'error', detail: JSON.stringify({ error: message }) })
            .execute();
        }
        throw err;
      }
    },
  };
}
