/**
 * Connect and health activities. The credentials never pass through Temporal: the client wrote
 * them sealed (AES-256-GCM, bound to the row id) into a `connecting` row, or into
 * pending_credentials when re-entered; these activities read them from PostgreSQL, test them
 * against the PSA, and finalize or compensate. Testing is a read, so a retried activity repeats
 * no PSA write.
 */
import { PSA_LABELS, type ConnectionInfo, type PermissionReport, type PsaKind } from '../psa/core/types';
import { PsaAuthError, PsaConfigError, PsaPermissionError } from '../psa/core/errors';
import { NotFound, RuleViolation } from '../domain/errors';
import { credentialsRejected, permissionsMissing } from '../domain/rules';
import {
  discardConnecting,
  dropPendingCredentials,
  findConnection,
  markConnected,
  pendingCredentialsOf,
  replaceCredentials,
  WEBHOOK_CLAIM_PREFIX,
} from '../db/repositories/integrations';
import { writeAudit } from '../db/repositories/audit';
import { openPendingCredentials, sealCredentials } from '../security/credentials';
import { adapterForCredentials } from '../infra/psa-adapters';
import type { ConnectRequest, ConnectResult, HealthResult, RetestRequest } from '../workflows/integration-messages';
import { typed, type LifecycleContext } from './lifecycle-support';
import { siteFacts, testStoredConnection } from './connection-test';
import { connectionSchedulesOf, dropConnectionSchedules } from './lifecycle-schedules';

/** Why the PSA refused, when the refusal is about what the partner typed (not an outage). */
function refusalReason(err: unknown): string | null {
  if (err instanceof PsaAuthError || err instanceof PsaPermissionError || err instanceof PsaConfigError) return err.message;
  if (err instanceof Error && err.name === 'ZodError') return 'the credentials are incomplete';
  return null;
}


export function createConnectActivities(ctx: LifecycleContext) {
  const { db, log } = ctx;

  return {
    /** Tests the sealed credentials of a `connecting` row and makes it Connected + Healthy. */
    async finalizeConnect({ connectionId, actor }: ConnectRequest): Promise<ConnectResult> {
      return typed(async () => {
        const row = await findConnection(db, connectionId);
        if (!row) throw new NotFound('PSA connection');
        // A retry after the row was already finalized (worker died before reporting) is a success;
        // its rights are probed again so the answer still names what is limited.
        if (row.status === 'connected') {
          await connectionSchedulesOf(ctx, { connectionId, partnerId: row.partnerId, psa: row.psa, unhealthy: row.health === 'unhealthy' });
          const { adapter } = await ctx.adapters.forConnection(connectionId, { allowUnhealthy: true });
          return { connectionId, accountName: row.site.accountName ?? '', limitations: (await adapter.probePermissions()).limited };
        }
        if (row.status !== 'connecting') throw new RuleViolation('connect_aborted', `This ${PSA_LABELS[row.psa]} connection attempt is no longer pending; connect again.`);
        let info: ConnectionInfo;
        let missing: PermissionReport['missing'];
        let limited: PermissionReport['limited'];
        try {
          const { adapter } = await ctx.adapters.forConnection(connectionId, { allowUnhealthy: true });
          info = await adapter.testConnection();
          ({ missing, limited } = await adapter.probePermissions());
        } catch (err) {
          const reason = refusalReason(err);
          if (reason === null) throw err; // outage: Temporal retries the test
          ctx.adapters.invalidate(connectionId);
          await writeAudit(db, { partnerId: row.partnerId, connectionId, actor, action: 'integration.connect', outcome: 'error', detail: { psa: row.psa, reason } });
          throw credentialsRejected(row.psa, reason);
        }
        if (missing.length > 0) {
          // Connected without these rights, tickets or billing would fail later, one by one.
          ctx.adapters.invalidate(connectionId);
          await writeAudit(db, { partnerId: row.partnerId, connectionId, actor, action: 'integration.connect', outcome: 'error', detail: { psa: row.psa, missingRights: missing.map((m) => m.capability) } });
          throw permissionsMissing(row.psa, missing);
        }
        if (!(await markConnected(db, connectionId, siteFacts(info)))) {
          const now = await findConnection(db, connectionId);
          if (now?.status !== 'connected') throw new RuleViolation('connect_aborted', `This ${PSA_LABELS[row.psa]} connection attempt was abandoned; connect again.`);
        }
        await connectionSchedulesOf(ctx, { connectionId, partnerId: row.partnerId, psa: row.psa });
        const limitedRights = limited.map((l) => l.right);
        await writeAudit(db, { partnerId: row.partnerId, connectionId, actor, action: 'integration.connect', outcome: 'ok', detail: { psa: row.psa, accountName: info.accountName, ...(limitedRights.length ? { limitedRights } : {}) } });
        log.info('PSA connected', { connectionId, psa: row.psa, limitedRights });
        return { connectionId, accountName: info.accountName, limitations: limited };
      });
    },

    /** Compensation of a failed connect: nothing of the attempt stays stored. Idempotent. */
    async discardConnection({ connectionId }: ConnectRequest): Promise<boolean> {
      ctx.adapters.invalidate(connectionId);
      await dropConnectionSchedules(ctx, connectionId);
      return discardConnecting(db, connectionId);
    },

    /**
     * Tests the stored credentials (allowed while Unhealthy: it is the way back), or the re-entered
     * ones, which replace the stored ones only when the PSA accepts them.
     */
    async retestConnection({ connectionId, actor, pendingCredentials }: RetestRequest & { connectionId: string }): Promise<HealthResult> {
      return typed(async () => {
        const row = await findConnection(db, connectionId);
        if (!row || row.status === 'revoked') throw new NotFound('PSA connection');
        if (pendingCredentials) return testPending(row.id, row.psa, row.partnerId, actor);
        const { health, reason, limitations } = await testStoredConnection(ctx, row, actor);
        // Every re-test a person asks for is audited, a passing one too.
        const limitedRights = limitations.map((l) => l.right);
        if (health === 'healthy') await writeAudit(db, { partnerId: row.partnerId, connectionId, actor, action: 'integration.health', outcome: 'ok', detail: { health, ...(limitedRights.length ? { limitedRights } : {}) } });
        return { health, reason, limitations };
      });
    },
  };

  async function testPending(connectionId: string, psa: PsaKind, partnerId: string, actor: string): Promise<HealthResult> {
    const pending = await pendingCredentialsOf(db, connectionId);
    if (!pending) throw new RuleViolation('no_pending_credentials', 'There are no re-entered credentials to test; enter them again.');
    const credentials = openPendingCredentials(ctx.keys, connectionId, pending.credentials);
    let info: ConnectionInfo;
    let missing: PermissionReport['missing'];
    let limited: PermissionReport['limited'];
    let adapter: Awaited<ReturnType<typeof adapterForCredentials>>;
    try {
      adapter = await adapterForCredentials(psa, credentials, `${connectionId}:pending`, ctx.psa);
      info = await adapter.testConnection();
      ({ missing, limited } = await adapter.probePermissions());
    } catch (err) {
      const reason = refusalReason(err);
      if (reason === null) throw err;
      await dropPendingCredentials(db, connectionId);
      await writeAudit(db, { partnerId, connectionId, actor, action: 'integration.credentials', outcome: 'error', detail: { reason } });
      throw credentialsRejected(psa, reason);
    }
    if (missing.length > 0) {
      await dropPendingCredentials(db, connectionId);
      await writeAudit(db, { partnerId, connectionId, actor, action: 'integration.credentials', outcome: 'error', detail: { missingRights: missing.map((m) => m.capability) } });
      throw permissionsMissing(psa, missing);
    }
    // The ticket-event subscription authenticates with a secret derived from the old credentials:
    // drop it (best effort) so the ticket engine subscribes again with the new ones.
    const subscription = (await findConnection(db, connectionId))?.webhookSubscriptionId;
    if (subscription && !subscription.startsWith(WEBHOOK_CLAIM_PREFIX)) {
      await adapter.unsubscribeTicketEvents(subscription).catch((err: unknown) => ctx.log.warn('old ticket subscription not removed', { connectionId, error: String(err) }));
    }
    await replaceCredentials(db, connectionId, sealCredentials(ctx.keys, connectionId, credentials), siteFacts(info));
    ctx.adapters.invalidate(connectionId);
    const limitedRights = limited.map((l) => l.right);
    await writeAudit(db, { partnerId, connectionId, actor, action: 'integration.credentials', outcome: 'ok', detail: { health: 'healthy', ...(limitedRights.length ? { limitedRights } : {}) } });
    return { health: 'healthy', reason: null, limitations: limited };
  }
}
