/**
 * What the engine knows about work on a ticket by anyone else. The PSA records only the last
 * change, and our own next write hides it, so every write first checks the record and keeps the
 * answer here (`touched_by_others`, sticky). `psa_watermark` is the PSA's own change stamp as
 * our last write left it, for vendors whose record does not name who changed it (HaloPSA).
 * `pending_note` is the token of a note being written: a retry that finds it set asks the PSA
 * whether the note landed before writing it again.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('tickets')
    .addColumn('touched_by_others', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('psa_watermark', 'text')
    .addColumn('pending_note', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tickets').dropColumn('touched_by_others').dropColumn('psa_watermark').dropColumn('pending_note').execute();
}
