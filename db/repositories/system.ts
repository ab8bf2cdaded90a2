/** What the ops endpoints and the system check ask PostgreSQL itself. */
import { sql } from 'kysely';
import type { Db } from '../connect';

/** Resolves when the server answers a query. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

export async function serverVersion(db: Db): Promise<string> {
  const r = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db);
  return r.rows[0]?.v ?? 'unknown';
}
