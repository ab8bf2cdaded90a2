/** The smallest activity that crosses every boundary: worker → PostgreSQL and back. */
import type { ActivityDeps } from './deps';
import { writeAuditReturning } from '../db/repositories/audit';
import { serverVersion } from '../db/repositories/system';

export interface SystemCheckResult {
  auditId: string;
  databaseTime: string;
  serverVersion: string;
}

export function createSystemActivities({ db }: ActivityDeps) {
  return {
    async recordSystemCheck(requestedBy: string): Promise<SystemCheckResult> {
      const row = await writeAuditReturning(db, { partnerId: null, connectionId: null, actor: requestedBy, action: 'system.check', outcome: 'ok' });
      return { auditId: row.id, databaseTime: row.at.toISOString(), serverVersion: await serverVersion(db) };
    },
  };
}
