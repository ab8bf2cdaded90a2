/**
 * The plan an organization mapping was made under. Its billing object (a ConnectWise addition of
 * the plan's catalog item, an Autotask contract service of its service) belongs to that plan: an
 * organization the platform moves to another plan, even a mapped one, is flagged `plan_changed`
 * until it is mapped again or moved back. Null for mappings made before this column (unknown).
 * Takes Kysely<any> so it stays frozen in time.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organization_mappings').addColumn('plan_id', 'uuid').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('organization_mappings').dropColumn('plan_id').execute();
}
