/**
 * A PSA connection's request budget shared by every worker process:
 * - `psa_budget_ledger`: one row per request admitted against a budget key (a connection and
 *   vendor), stamped when admitted and again when it completed; rows older than the window are
 *   pruned as the key is used.
 * - `psa_budget_pauses`: the latest "not before" a vendor gave for a key (Retry-After), so a 429
 *   seen by one worker holds the others too.
 * Takes Kysely<any> so it stays frozen in time.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('psa_budget_ledger')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('budget_key', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`statement_timestamp()`))
    .execute();
  await db.schema.createIndex('psa_budget_ledger_key_at').on('psa_budget_ledger').columns(['budget_key', 'at']).execute();

  await db.schema
    .createTable('psa_budget_pauses')
    .addColumn('budget_key', 'text', (c) => c.primaryKey())
    .addColumn('paused_until', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('psa_budget_pauses').execute();
  await db.schema.dropTable('psa_budget_ledger').execute();
}
