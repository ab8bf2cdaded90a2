/**
 * Tells the platform that a PSA technician resolved an alert's ticket, so the platform resets
 * the alert. POSTs to `platformCallbackUrl` when one is configured (with an idempotency key, so
 * a retried delivery is recognised) and always records the outcome in the audit log.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { writeAudit } from '../db/repositories/audit';
import { TICKET_ACTOR } from './ticket-calls';

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

export interface AlertResetResult {
  delivered: boolean;
  status: number | null;
}

export function createPlatformCallbackActivities({ db, platformCallbackUrl }: ActivityDeps) {
  return {
    async notifyPlatformAlertReset(notice: AlertResetNotice): Promise<AlertResetResult> {
      let result: AlertResetResult = { delivered: false, status: null };
      if (platformCallbackUrl) {
        const res = await fetch(platformCallbackUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `alert-reset:${notice.ticketRowId}` },
          body: JSON.stringify({
            type: 'alert.reset',
            organizationId: notice.organizationId,
            problem: notice.problem,
            partnerId: notice.partnerId,
            psaTicketId: notice.psaTicketId,
            reason: notice.how,
          }),
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        // 4xx other than 408/429 will not get better by retrying.
        if (!res.ok) {
          const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
          throw ApplicationFailure.create({ type: 'PlatformCallbackFailed', message: `platform callback answered ${res.status}`, nonRetryable: permanent });
        }
        result = { delivered: true, status: res.status };
      }
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
