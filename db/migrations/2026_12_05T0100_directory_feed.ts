/**
 * The platform's directory feed. Every partner, user, plan and organization carries the
 * platform's `version` of it (an older version never overwrites a newer one); users gain
 * `active`; partners and plans are deleted softly (`deleted_at`: their rows keep history and
 * foreign keys); organizations gain `status` (active / suspended / deleted). A delete of a
 * record never seen, or of a user (hard-deleted so its email is free), leaves a tombstone with
 * its version, so a late upsert older than the delete cannot bring it back. `flag` on an
 * organization mapping says what the directory changed under it (its plan is not mapped there).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['partners', 'users', 'plans', 'organizations']) {
    await db.schema.alterTable(table).addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  }
  await db.schema.alterTable('partners').addColumn('deleted_at', 'timestamptz').execute();
  await db.schema.alterTable('plans').addColumn('deleted_at', 'timestamptz').execute();
  await db.schema.alterTable('users').addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true)).execute();
  await db.schema
    .alterTable('organizations')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status in ('active','suspended','deleted')`))
    .execute();
  await db.schema.alterTable('organization_mappings').addColumn('flag', 'text').execute();
  await db.schema
    .createTable('directory_tombstones')
    .addColumn('entity', 'text', (c) => c.notNull().check(sql`entity in ('partner','user','plan','organization')`))
    .addColumn('id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('directory_tombstones_pk', ['entity', 'id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('directory_tombstones').execute();
  await db.schema.alterTable('organization_mappings').dropColumn('flag').execute();
  await db.schema.alterTable('organizations').dropColumn('status').execute();
  await db.schema.alterTable('users').dropColumn('active').execute();
  await db.schema.alterTable('plans').dropColumn('deleted_at').execute();
  await db.schema.alterTable('partners').dropColumn('deleted_at').execute();
  for (const table of ['partners', 'users', 'plans', 'organizations']) {
    await db.schema.alterTable(table).dropColumn('version').execute();
  }
}
