/**
 * Device inventory and its sync into PSA configurations.
 * - `devices`: the platform's inventory per organization. `source_updated_at` is the device's own
 *   last-update time: a change older than the stored one is ignored, so reports may arrive in any
 *   order and twice. A delete is a tombstone (`deleted`) with the same ordering, so a late update
 *   cannot bring a deleted device back. `version` rises with every accepted change; the sync
 *   compares it with what it pushed.
 * - `device_snapshots`: the parts of a full snapshot received so far; when all are in, devices
 *   the snapshot did not carry (and not changed after it was taken) are deleted.
 * - `device_sync_settings`: per connection (type source, match field, field mappings, unmapped
 *   organizations, link template, user matching, schedule).
 * - `device_links`: per connection × device, the PSA configuration, the version pushed and the
 *   outcome; `creating` marks a create in flight (a retry looks for it before creating again),
 *   `ambiguous` a device the first import could not link to one configuration (never created).
 * - `device_org_sync`: per connection × organization, whether the first import (matching against
 *   what the PSA already holds) is done.
 * Takes Kysely<any> so it stays frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('devices')
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('source_updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(1))
    .addColumn('snapshot_id', 'uuid')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('devices_pk', ['organization_id', 'device_id'])
    .execute();

  await db.schema
    .createTable('device_snapshots')
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('snapshot_id', 'uuid', (c) => c.notNull())
    .addColumn('taken_at', 'timestamptz', (c) => c.notNull())
    .addColumn('parts', 'integer', (c) => c.notNull())
    .addColumn('received_parts', sql`integer[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('completed_at', 'timestamptz')
    .addColumn('deleted_count', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('device_snapshots_pk', ['organization_id', 'snapshot_id'])
    .execute();

  await db.schema
    .createTable('device_sync_settings')
    .addColumn('connection_id', 'uuid', (c) => c.primaryKey().references('connections.id').onDelete('cascade'))
    .addColumn('settings', 'jsonb', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('device_links')
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('psa_id', 'text')
    .addColumn('psa_record', 'jsonb')
    .addColumn('pushed_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('settings_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending','creating','synced','failed','ambiguous','skipped','deactivated')`))
    .addColumn('reason', 'text')
    .addColumn('claimed_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('device_links_pk', ['connection_id', 'organization_id', 'device_id'])
    .execute();
  await db.schema.createIndex('device_links_status').on('device_links').columns(['connection_id', 'status']).execute();

  await db.schema
    .createTable('device_org_sync')
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('company_id', 'text', (c) => c.notNull())
    .addColumn('first_import_at', 'timestamptz')
    .addColumn('last_pass_at', 'timestamptz')
    .addPrimaryKeyConstraint('device_org_sync_pk', ['connection_id', 'organization_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['device_org_sync', 'device_links', 'device_sync_settings', 'device_snapshots', 'devices']) await db.schema.dropTable(t).ifExists().execute();
}
