/** Signed deliveries already received, so a captured request cannot be replayed. */
import type { Kysely } from 'kysely';
import type { Database } from '../schema';

/** Records a delivery by its id; false when it was received before. */
export async function recordDelivery(db: Kysely<Database>, deliveryId: string): Promise<boolean> {
  const fresh = await db
    .insertInto('webhookReceipts')
    .values({ id: deliveryId })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return fresh !== undefined;
}
