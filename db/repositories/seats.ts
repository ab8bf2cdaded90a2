/** The seat-sync state of an organization as the platform reads it. */
import type { Kysely, Selectable } from 'kysely';
import type { Database, SeatSyncStateTable } from '../schema';

type SeatSyncState = Selectable<SeatSyncStateTable>;

export interface SeatSyncView {
  organizationId: string;
  seats: number;
  sync: SeatSyncState | null;
}

export async function seatSyncView(db: Kysely<Database>, organizationId: string): Promise<SeatSyncView | undefined> {
  const org = await db.selectFrom('organizations').select(['id', 'seatCount']).where('id', '=', organizationId).executeTakeFirst();
  if (!org) return undefined;
  const state = await db.selectFrom('seatSyncState').selectAll().where('organizationId', '=', organizationId).executeTakeFirst();
  return { organizationId: org.id, seats: org.seatCount, sync: state ?? null };
}
