/**
 * Seat counts: the count the platform reported on each organization, and the seat-sync state
 * (desired, pushed, status, last error) of pushing it to the PSA's billing object.
 */
import type { Db } from '../connect';

/** Stores the reported count; the organization's partner, or undefined when it does not exist. */
export async function setSeatCount(db: Db, organizationId: string, seats: number): Promise<{ id: string; partnerId: string } | undefined> {
  return db.updateTable('organizations').set({ seatCount: seats, updatedAt: new Date() }).where('id', '=', organizationId).where('status', '<>', 'deleted').returning(['id', 'partnerId']).executeTakeFirst();
}

/** What a push needs: the count, the organization's mapping, its connection and ticket mapping (the seat-sync switch). */
export async function seatPushTargetOf(db: Db, organizationId: string) {
  return db
    .selectFrom('organizations as o')
    .leftJoin('organizationMappings as m', 'm.organizationId', 'o.id')
    .leftJoin('connections as c', 'c.id', 'm.connectionId')
    .leftJoin('ticketMappings as t', 't.connectionId', 'c.id')
    .select(['o.seatCount', 'o.partnerId', 'o.status as organizationStatus', 'm.values', 'm.status as mappingStatus', 'c.id as connectionId', 'c.psa', 'c.status as connectionStatus', 't.settings'])
    .where('o.id', '=', organizationId)
    .executeTakeFirst();
}

/** The outcome of one push: in sync at `desired`, or failed with `error` (the last pushed count stays). */
export async function recordSeatSync(db: Db, s: { organizationId: string; connectionId: string; desired: number; status: 'in_sync' | 'failed'; error: string | null }): Promise<void> {
  const synced = s.status === 'in_sync';
  await db
    .insertInto('seatSyncState')
    .values({
      organizationId: s.organizationId,
      connectionId: s.connectionId,
      desiredQuantity: s.desired,
      pushedQuantity: synced ? s.desired : null,
      status: s.status,
      lastError: s.error,
      lastSyncedAt: new Date(),
    })
    .onConflict((oc) =>
      oc.column('organizationId').doUpdateSet({
        connectionId: s.connectionId,
        desiredQuantity: s.desired,
        ...(synced ? { pushedQuantity: s.desired, lastSyncedAt: new Date() } : {}),
        status: s.status,
        lastError: s.error,
        updatedAt: new Date(),
      }),
    )
    .execute();
}

/** An organization's reported count and its seat-sync state (null before the first push); undefined when it does not exist. */
export async function seatStateOf(db: Db, organizationId: string) {
  const org = await db.selectFrom('organizations').select(['id', 'seatCount']).where('id', '=', organizationId).executeTakeFirst();
  if (!org) return undefined;
  const sync = await db.selectFrom('seatSyncState').selectAll().where('organizationId', '=', organizationId).executeTakeFirst();
  return { organizationId: org.id, seats: org.seatCount, sync: sync ?? null };
}
