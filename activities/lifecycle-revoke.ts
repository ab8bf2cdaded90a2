/**
 * The steps of the revoke saga. Each is idempotent (a retry, or a second revoke after a failed
 * one, finds its work done and moves on), so the saga needs no compensation: it only ever
 * moves forward to "revoked", after which the partner can connect again with a new row.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { PsaKind } from '../psa/core/types';
import { PsaNotFoundError } from '../psa/core/errors';
import { ConnectionUnhealthyError, NotFound } from '../domain/errors';
import { findConnection, markRevoked, markRevoking, setWebhookSubscription, WEBHOOK_CLAIM_PREFIX } from '../db/repositories/integrations';
import { deleteAllMappings } from '../db/repositories/mappings';
import { openTicketsOf } from '../db/repositories/tickets';
import { writeAudit } from '../db/repositories/audit';
import { liveConnectionIds } from '../db/repositories/devices';
import { DEVICE_SYNC_WORKFLOW_TYPE, deviceScheduleId } from '../workflows/device-messages';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { ChangeRequest } from '../workflows/integration-messages';
import { serviceTicketWorkflowId } from '../workflows/ticket-messages';
import { typed, withAdapter, type LifecycleContext } from './lifecycle-support';
import { dropConnectionSchedules } from './lifecycle-schedules';

/** Signal the ticket and seat-sync workflows handle by stopping; see workflows/ticket-messages.ts. */
export const INTEGRATION_REVOKED_SIGNAL = 'integrationRevoked';

type OnConnection<T> = T & { connectionId: string };

export interface StopSyncsRequest {
  partnerId: string;
  psa: PsaKind;
  /** The lifecycle workflow itself, which is running the saga. */
  exceptWorkflowId: string;
}

export function createRevokeActivities(ctx: LifecycleContext) {
  const { db, temporal, log } = ctx;

  async function connection(connectionId: string) {
    const row = await findConnection(db, connectionId);
    if (!row) throw new NotFound('PSA connection');
    return row;
  }

  return {
    async beginRevoke({ connectionId, actor }: OnConnection<ChangeRequest>): Promise<void> {
      return typed(async () => {
        const row = await connection(connectionId);
        // First, so no scheduled reconcile or health check starts on a connection going away.
        await dropConnectionSchedules(ctx, connectionId);
        if (row.status === 'revoking' || row.status === 'revoked') return;
        await markRevoking(db, connectionId);
        await writeAudit(db, { partnerId: row.partnerId, connectionId, actor, action: 'integration.revoke.begin', outcome: 'ok' });
      });
    },

    /** Unlinks every organization and plan mapping of this connection and resets its ticket mapping. */
    async unlinkAllMappings({ connectionId, actor }: OnConnection<ChangeRequest>): Promise<{ plans: number; organizations: number }> {
      return typed(async () => {
        const row = await connection(connectionId);
        const counts = await deleteAllMappings(db, connectionId);
        await writeAudit(db, { partnerId: row.partnerId, connectionId, actor, action: 'integration.revoke.unlink_all', outcome: 'ok', detail: counts });
        return counts;
      });
    },

    /** Tells every running sync of this partner × PSA (ticket, seat sync…) to stop. */
    async stopSyncs({ partnerId, psa, exceptWorkflowId }: StopSyncsRequest): Promise<number> {
      const query = `PsaPartnerId = "${partnerId}" AND PsaVendor = "${psa}" AND ExecutionStatus = "Running"`;
      const runs = new Map<string, string | undefined>();
      for await (const wf of temporal.workflow.list({ query })) runs.set(wf.workflowId, wf.runId);
      // Device sync runs per organization (they carry no vendor); their schedule is per connection.
      const deviceQuery = `PsaPartnerId = "${partnerId}" AND WorkflowType = "${DEVICE_SYNC_WORKFLOW_TYPE}" AND ExecutionStatus = "Running"`;
      for await (const wf of temporal.workflow.list({ query: deviceQuery })) runs.set(wf.workflowId, wf.runId);
      for (const connectionId of await liveConnectionIds(db, partnerId, psa)) {
        try {
          await temporal.schedule.getHandle(deviceScheduleId(connectionId)).delete();
        } catch (err) {
          if (!(err instanceof ScheduleNotFoundError)) throw err; // never set up, or already removed
        }
      }
      // Visibility trails the runs it lists by a moment; the database knows every open ticket's run.
      for (const t of await openTicketsOf(db, partnerId, psa)) {
        const id = serviceTicketWorkflowId(t.organizationId, t.problem);
        if (!runs.has(id)) runs.set(id, undefined);
      }
      let signalled = 0;
      for (const [workflowId, runId] of runs) {
        if (workflowId === exceptWorkflowId) continue;
        try {
          await temporal.workflow.getHandle(workflowId, runId).signal(INTEGRATION_REVOKED_SIGNAL);
          signalled += 1;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err; // finished meanwhile: nothing to stop
        }
      }
      log.info('signalled running syncs to stop', { partnerId, psa, signalled });
      return signalled;
    },

    /** Removes the PSA's ticket-event subscription, if one was stored. Unhealthy connections cannot call the PSA. */
    async unsubscribeWebhooks({ connectionId, actor }: OnConnection<ChangeRequest>): Promise<boolean> {
      return typed(async () => {
        const row = await connection(connectionId);
        const subscriptionId = row.webhookSubscriptionId;
        // `pending:…` is the ticket engine's claim while it subscribes: no vendor id exists yet.
        if (!subscriptionId || subscriptionId.startsWith(WEBHOOK_CLAIM_PREFIX) || row.status === 'revoked') return false;
        let removed = true;
        try {
          await withAdapter(ctx, connectionId, actor, (adapter) => adapter.unsubscribeTicketEvents(subscriptionId));
        } catch (err) {
          if (err instanceof PsaNotFoundError) removed = true; // already gone (an earlier attempt got through)
          else if (err instanceof ConnectionUnhealthyError) removed = false; // no PSA call while unhealthy; the PSA admin removes it
          else throw err;
        }
        await setWebhookSubscription(db, connectionId, null);
        await writeAudit(db, {
          partnerId: row.partnerId,
          connectionId,
          actor,
          action: 'integration.revoke.unsubscribe',
          target: subscriptionId,
          outcome: removed ? 'ok' : 'error',
          detail: removed ? {} : { reason: 'connection unhealthy: subscription left in the PSA' },
        });
        return removed;
      });
    },

    /** Forgets the credentials and ends the connection; a new connect creates a new row. */
    async wipeCredentials({ connectionId, actor }: OnConnection<ChangeRequest>): Promise<void> {
      return typed(async () => {
        const row = await connection(connectionId);
        ctx.adapters.invalidate(connectionId);
        if (row.status === 'revoked') return;
        await markRevoked(db, connectionId);
        await writeAudit(db, { partnerId: row.partnerId, connectionId, actor, action: 'integration.revoke', outcome: 'ok' });
      });
    },
  };
}
