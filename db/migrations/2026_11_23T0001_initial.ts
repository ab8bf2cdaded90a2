/**
 * The whole domain: reseller hierarchy, users and roles, PSA connections, mappings, alerts,
 * tickets, seat-sync state and the audit log. Constraints carry every rule SQL can express;
 * the rest (plan-before-organization, role checks) lives in the lifecycle activities.
 * Takes Kysely<any> so it stays frozen in time.
 */
import { sql, type Kysely } from 'kysely';

const PSA = `('connectwise','autotask','halopsa')`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists pgcrypto`.execute(db);

  await db.schema
    .createTable('partners')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('master_reseller','direct_reseller','sub_reseller')`))
    .addColumn('parent_id', 'uuid', (c) => c.references('partners.id').onDelete('restrict'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Only a sub-reseller hangs under a master reseller; masters and direct resellers are roots.
    .addCheckConstraint('partners_parent_by_kind', sql`(kind = 'sub_reseller') = (parent_id is not null)`)
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('partner_id', 'uuid', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) =>
      c.notNull().check(sql`role in ('owner','super_admin','admin','technician','billing','read_only')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('connections')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('partner_id', 'uuid', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    .addColumn('psa', 'text', (c) => c.notNull().check(sql.raw(`psa in ${PSA}`)))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('connecting','connected','revoking','revoked')`))
    .addColumn('health', 'text', (c) => c.notNull().defaultTo('healthy').check(sql`health in ('healthy','unhealthy')`))
    .addColumn('health_reason', 'text')
    .addColumn('health_checked_at', 'timestamptz')
    .addColumn('site', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('credentials', 'bytea')
    .addColumn('credentials_key_id', 'text')
    .addColumn('webhook_subscription_id', 'text')
    .addColumn('connected_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('connections_key_with_ciphertext', sql`(credentials is null) = (credentials_key_id is null)`)
    .addCheckConstraint('connections_revoked_has_no_credentials', sql`status <> 'revoked' or credentials is null`)
    .execute();
  // One live connection per partner × PSA; revoked rows stay as history.
  await sql`create unique index connections_one_live_per_partner_psa on connections (partner_id, psa) where status <> 'revoked'`.execute(db);

  await db.schema
    .createTable('ticket_mappings')
    .addColumn('connection_id', 'uuid', (c) => c.primaryKey().references('connections.id').onDelete('cascade'))
    .addColumn('settings', 'jsonb', (c) => c.notNull())
    .addColumn('updated_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('plans')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('partner_id', 'uuid', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // A master reseller assigns plans to its sub-resellers, who may then map them.
  await db.schema
    .createTable('plan_assignments')
    .addColumn('plan_id', 'uuid', (c) => c.notNull().references('plans.id').onDelete('cascade'))
    .addColumn('partner_id', 'uuid', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('plan_assignments_pk', ['plan_id', 'partner_id'])
    .execute();

  await db.schema
    .createTable('plan_mappings')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('plan_id', 'uuid', (c) => c.notNull().references('plans.id').onDelete('cascade'))
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('psa', 'text', (c) => c.notNull().check(sql.raw(`psa in ${PSA}`)))
    .addColumn('values', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('synced').check(sql`status in ('synced','broken')`))
    .addColumn('status_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // A plan may map to several PSAs, once per connection.
    .addUniqueConstraint('plan_mappings_one_per_connection', ['plan_id', 'connection_id'])
    .execute();

  await db.schema
    .createTable('organizations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('partner_id', 'uuid', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    .addColumn('plan_id', 'uuid', (c) => c.notNull().references('plans.id').onDelete('restrict'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('seat_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`seat_count >= 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('organization_mappings')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    // At most one mapping per organization: an organization is on one PSA at a time.
    .addColumn('organization_id', 'uuid', (c) => c.notNull().unique().references('organizations.id').onDelete('cascade'))
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('psa', 'text', (c) => c.notNull().check(sql.raw(`psa in ${PSA}`)))
    .addColumn('values', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('mapped').check(sql`status in ('mapped','broken')`))
    .addColumn('status_reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('tickets')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('problem', 'text', (c) => c.notNull())
    .addColumn('marker', 'text', (c) => c.notNull().unique())
    .addColumn('psa_ticket_id', 'text', (c) => c.notNull())
    .addColumn('psa_ticket_number', 'text')
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('open','closed')`))
    .addColumn('closed_by', 'text', (c) => c.check(sql`closed_by in ('engine','psa')`))
    .addColumn('note_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('closed_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index tickets_one_open_per_problem on tickets (connection_id, organization_id, problem) where state = 'open'`.execute(db);

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('event_id', 'text', (c) => c.notNull().unique())
    .addColumn('partner_id', 'uuid', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('problem', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull().check(sql`event in ('raised','recovered')`))
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('outcome', 'text')
    .addColumn('reason', 'text')
    .addColumn('ticket_id', 'uuid', (c) => c.references('tickets.id').onDelete('set null'))
    .addColumn('handled_at', 'timestamptz')
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('alerts_by_org_problem').on('alerts').columns(['organization_id', 'problem', 'received_at']).execute();

  await db.schema
    .createTable('seat_sync_state')
    .addColumn('organization_id', 'uuid', (c) => c.primaryKey().references('organizations.id').onDelete('cascade'))
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('desired_quantity', 'integer', (c) => c.notNull())
    .addColumn('pushed_quantity', 'integer')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending','in_sync','failed')`))
    .addColumn('last_error', 'text')
    .addColumn('last_synced_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('partner_id', 'uuid')
    .addColumn('connection_id', 'uuid')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('ok','error')`))
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('audit_log_by_connection').on('audit_log').columns(['connection_id', 'at']).execute();

  // Ids of signed webhooks already accepted, so a replayed delivery is refused.
  await db.schema
    .createTable('webhook_receipts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'webhook_receipts',
    'audit_log',
    'seat_sync_state',
    'alerts',
    'tickets',
    'organization_mappings',
    'organizations',
    'plan_mappings',
    'plan_assignments',
    'plans',
    'ticket_mappings',
    'connections',
    'users',
    'partners',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
