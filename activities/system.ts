/** The smallest activity that crosses every boundary: worker → PostgreSQL and back. */
import { sql } from 'kysely';
import type { ActivityDeps } from './deps';

export interface SystemCheckResult {
  auditId: string;
  databaseTime: string;
  serverVersion: string;
}

export function createSystemActivities({ db }: ActivityDeps) {
  return {
    async recordSystemCheck(requestedBy: string): Promise<SystemCheckResult> {
      const row = await db
        .insertInto('auditLog')
        .values({ actor: requestedBy, action: 'system.check', target: null, outcome: 'ok', detail: JSON.stringify({}) })
        .returning(['id', 'at'])
        .executeTakeFirstOrThrow();
      const version = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db);
      return { auditId: String(row.id), databaseTime: row.at.toISOString(), serverVersion: version.rows[0]?.v ?? 'unknown' };
    },
  };
}
