/**
 * Credentials a partner re-entered for an existing connection, sealed and waiting for their
 * test. They replace the stored ones only when the PSA accepts them, so a typo never breaks a
 * working connection, and the lifecycle workflow still carries only the connection id.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pending_credentials')
    .addColumn('connection_id', 'uuid', (c) => c.primaryKey().references('connections.id').onDelete('cascade'))
    .addColumn('credentials', 'bytea', (c) => c.notNull())
    .addColumn('credentials_key_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pending_credentials').ifExists().execute();
}
