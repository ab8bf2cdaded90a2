/**
 * Several writes sent as one statement (PostgreSQL data-modifying CTEs): the bookkeeping after a
 * PSA call (ticket row, audit entry, alert outcomes) costs one round trip and lands all or nothing.
 * The writes must touch different rows; PostgreSQL runs every CTE even when nothing reads it.
 */
import { sql, type OperationNodeSource, type RawBuilder } from 'kysely';
import type { Db } from '../connect';

type Write = OperationNodeSource | null | undefined;

/** The present writes as CTEs named w0, w1, … */
const asCtes = (writes: readonly Write[]) => writes.filter((w): w is OperationNodeSource => !!w).map((q, i) => sql`${sql.raw(`w${i}`)} as (${q})`);

export async function writeTogether(db: Db, writes: readonly Write[]): Promise<void> {
  const queries = writes.filter((w): w is OperationNodeSource => !!w);
  const last = queries.pop();
  if (!last) return;
  const ctes = asCtes(queries);
  await (ctes.length ? sql`with ${sql.join(ctes)} ${last}` : sql`${last}`).execute(db);
}

/** The name under which `writeTogetherReturning`'s main write is visible to the others. */
export const MAIN_WRITE = 'main_write';

/** The id the main write returned, for the other writes of `writeTogetherReturning`. */
export const mainWriteId: RawBuilder<string> = sql<string>`(select id from ${sql.raw(MAIN_WRITE)})`;

/**
 * As writeTogether, where the other writes need what the main one returns (e.g. the id of a row
 * it inserted, as `mainWriteId`): one statement, the main write's returned rows as its result.
 */
export async function writeTogetherReturning<R>(db: Db, main: OperationNodeSource, writes: readonly Write[]): Promise<R[]> {
  const ctes = [sql`${sql.raw(MAIN_WRITE)} as (${main})`, ...asCtes(writes)];
  return (await sql<R>`with ${sql.join(ctes)} select * from ${sql.raw(MAIN_WRITE)}`.execute(db)).rows;
}
