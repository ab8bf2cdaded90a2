import { Migrator, type MigrationResultSet } from 'kysely';
import type { Kysely } from 'kysely';
import { migrations } from './migrations';

function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Applies every pending migration; throws (after reporting) when one fails. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const result = await migrator(db).migrateToLatest();
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return result;
}

/** Rolls back every migration (tests of `down`). */
export async function migrateToBottom(db: Kysely<any>): Promise<void> {
  const m = migrator(db);
  for (;;) {
    const result = await m.migrateDown();
    if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
    if (!result.results || result.results.length === 0) return;
  }
}
