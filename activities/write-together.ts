/**
 * Several writes sent as one statement (PostgreSQL data-modifying CTEs): the bookkeeping after a
 * PSA call (ticket row, audit entry, alert outcomes) costs one round trip and lands all or nothing.
 * The writes must touch different rows; PostgreSQL runs every CTE even when nothing reads it.
 */
import { sql, type OperationNodeSource } from 'kysely';
import type { Db } from '../db/connect';

export async function writeTogether(db: Db, writes: readonly (OperationNodeSource | null | undefined)[]): Promise<void> {
  const queries = writes.filter((w): w is OperationNodeSource => !!w);
  const last = queries.pop();
  if (!last) return;
  const ctes = queries.map((q, i) => sql`${sql.raw(`w${i}`)} as (${q})`);
  await (ctes.length ? sql`with ${sql.join(ctes)} ${last}` : sql`${last}`).execute(db);
}
