/**
 * Who found an organization mapping broken. `health` when the health schedule's check found its
 * PSA company or contract / agreement / customer inactive (only that check mends it); null when the
 * billing object itself is gone (reconcile or seat sync found it, and reconcile mends it).
 * Takes Kysely<any> so it stays frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('organization_mappings')
    .addColumn('broken_by', 'text', (c) => c.check(sql`broken_by in ('health')`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organization_mappings').dropColumn('broken_by').execute();
}
