/**
 * `ticket_open_intents`: one row per ticket marker whose create may have been sent. An open
 * writes it before its create; an open that finds none may create without first searching the
 * PSA for the marker (no earlier attempt can have sent one), which halves what a raise costs
 * against the vendor's request budget. Rows go once the ticket is recorded.
 * Takes Kysely<any> so it stays frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ticket_open_intents')
    .addColumn('marker', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ticket_open_intents').execute();
}
