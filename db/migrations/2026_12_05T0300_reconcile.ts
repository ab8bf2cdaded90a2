/**
 * Billing reconcile and connection health: one drift report per reconcile run (counts, PSA calls
 * and what was found), the holds a person approves or dismisses (a drift to 0 or a large drop is
 * never written unasked), and the health the platform was last told of, so every change is told
 * once whichever activity noticed it.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('reconcile_reports')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('partner_id', 'uuid', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    // The workflow run: a retried activity rewrites its own report instead of adding one.
    .addColumn('run_id', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running','completed','skipped','failed')`))
    .addColumn('found', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('repaired', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('held', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('broken', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('psa_calls', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await sql`create index reconcile_reports_by_connection on reconcile_reports (connection_id, started_at desc)`.execute(db);

  await db.schema
    .createTable('reconcile_holds')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('partner_id', 'uuid', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('desired', 'integer', (c) => c.notNull())
    .addColumn('psa_quantity', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending','approved','dismissed','applied','superseded')`))
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // One open (pending or approved) hold per organization: a rerun finds it instead of adding one.
  await sql`create unique index reconcile_holds_one_open on reconcile_holds (organization_id) where status in ('pending','approved')`.execute(db);
  await sql`create index reconcile_holds_by_connection on reconcile_holds (connection_id, created_at desc)`.execute(db);

  await db.schema
    .alterTable('connections')
    .addColumn('health_reported', 'text', (c) => c.check(sql`health_reported in ('healthy','unhealthy')`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('connections').dropColumn('health_reported').execute();
  await db.schema.dropTable('reconcile_holds').execute();
  await db.schema.dropTable('reconcile_reports').execute();
}
