/**
 * Tells the platform that a PSA technician resolved an alert's ticket, so the platform resets
 * the alert. POSTs to `platformCallbackUrl` when one is configured (with an idempotency key, so
 * a retried delivery is recognised) and always records the outcome in the audit log.
 */
import type { ActivityDeps } from './deps';
import { writeAudit } from '../db/repositories/audit';
import { TICKET_ACTOR } from './ticket-calls';
import { postToPlatform, type Delivery } from './platform-notices';

export interface AlertResetNotice {
  ticketRowId: string;
  organizationId: string;
  problem: string;
  partnerId: string;
  connectionId: string;
  psaTicketId: string;
  /** Why the ticket ended: closed or deleted in the PSA. */
  how: 'closed_in_psa' | 'deleted_in_psa';
}

export type AlertResetResult = Delivery;

export function createPlatformCallbackActivities({ db, platformCallbackUrl }: ActivityDeps) {
  return {
    async notifyPlatformAlertReset(notice: AlertResetNotice): Promise<AlertResetResult> {
      const result = await postToPlatform(platformCallbackUrl, `alert-reset:${notice.ticketRowId}`, {
        type: 'alert.reset',
        organizationId: notice.organizationId,
        problem: notice.problem,
        partnerId: notice.partnerId,
        psaTicketId: notice.psaTicketId,
        reason: notice.how,
      });
      await writeAudit(db, {
        partnerId: notice.partnerId,
        connectionId: notice.connectionId,
        actor: TICKET_ACTOR,
        action: 'platform.alert_reset',
        target: `organization:${notice.organizationId}:${notice.problem}`,
        outcome: 'ok',
        detail: { ...result, psaTicketId: notice.psaTicketId, ticketRowId: notice.ticketRowId, reason: notice.how },
      });
      return result;
    },
  };
}

export type PlatformCallbackActivities = ReturnType<typeof createPlatformCallbackActivities>;
