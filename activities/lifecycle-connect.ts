/**
 * Connect and health activities. The credentials never pass through Temporal: the client wrote
 * them sealed (AES-256-GCM, bound to the row id) into a `connecting` row, or into
 * pending_credentials when re-entered; these activities read them from PostgreSQL, test them
 * against the PSA, and finalize or compensate. Testing is a read, so a retried activity repeats
 * no PSA write.
 */
import { sql } from 'kysely';
import { PSA_LABELS, type ConnectionInfo, type PsaKind } from '../psa/core/types';
import { PsaAuthError, PsaConfigError, PsaPermissionError } from '../psa/core/errors';
import { NotFound, RuleViolation } from '../domain/errors';
import { credentialsRejected } from '../domain/rules';
import { findConnection, writeAudit } from '../db/repositories/integrations';
import type { ConnectRequest, ConnectResult, HealthResult, RetestRequest } from '../workflows/integration-messages';
import { adapterForCredentials, sealCredentials } from './psa-connections';
import { healthReasonOf, markUnhealthy, typed, type LifecycleContext } from './lifecycle-support';

/** AAD of re-entered credentials: they open only for this connection's pending slot. */
export const pendingCredentialsAad = (connectionId: string) => `pending_credentials:${connectionId}`;

/** Why the PSA refused, when the refusal is about what the partner typed (not an outage). */
function refusalReason(err: unknown): string | null {
  if (err instanceof PsaAuthError || err instanceof PsaPermissionError || err instanceof PsaConfigError) return err.message;
  if (err instanceof Error && err.name === 'ZodError') return 'the credentials are incomplete';
  return null;
}

const siteFacts = (info: ConnectionInfo) => JSON.stringify({ ...info.site, accountName: info.accountName, ...(info.version ? { version: info.version } : {}) });

export function createConnectActivities(ctx: LifecycleContext) {
  const { db, log } = ctx;

  return {
    /** Tests the sealed credentials of a `connecting` row and makes it Connected + Healthy. */
    async finalizeConnect({ connectionId, actor }: ConnectRequest): Promise<ConnectResult> {
      return typed(async () => {
        const row = await findConnection(db, connectionId);
        if (!row) throw new NotFound('PSA connection');
        // A retry after the row was already finalized (worker died before reporting) is a success.
        if (row.status === 'connected') return { connectionId, accountName: row.site.accountName ?? '' };
        if (row.status !== 'connecting') throw new RuleViolation('connect_aborted', `This ${PSA_LABELS[row.psa]} connection attempt is no longer pending; connect again.`);
        let info: ConnectionInfo;
        try {
          const { adapter } = await ctx.adapters.forConnection(connectionId, { allowUnhealthy: true });
          info = await adapter.testConnection();
        } catch (err) {
          const reason = refusalReason(err);
          if (reason === null) throw err; // outage: Temporal retries the test
          ctx.adapters.invalidate(connectionId);
          await writeAudit(db, { partnerId: row.partnerId, connectionId, actor, action: 'integration.connect', outcome: 'error', detail: { psa: row.psa, reason } });
          throw credentialsRejected(row.psa, reason);
        }
        const done = await db
          .updateTable('connections')
          .set({ status: 'connected', health: 'healthy', healthReason: null, healthCheckedAt: new Date(), site: siteFacts(info), connectedAt: new Date(), updatedAt: new Date() })
          .where('id', '=', connectionId)
          .where('status', '=', 'connecting')
          .executeTakeFirst();
        if (Number(done.numUpdatedRows) === 0) {
          const now = await findConnection(db, connectionId);
          if (now?.status !== 'connected') throw new RuleViolation('connect_aborted', `This ${PSA_LABELS[row.psa]} connection attempt was abandoned; connect again.`);
        }
        await writeAudit(db, { partnerId: row.partnerId, connectionId, actor, action: 'integration.connect', outcome: 'ok', detail: { psa: row.psa, accountName: info.accountName } });
        log.info('PSA connected', { connectionId, psa: row.psa });
        return { connectionId, accountName: info.accountName };
      });
    },

    /** Compensation of a failed connect: nothing of the attempt stays stored. Idempotent. */
    async discardConnection({ connectionId }: ConnectRequest): Promise<boolean> {
      ctx.adapters.invalidate(connectionId);
      const res = await db.deleteFrom('connections').where('id', '=', connectionId).where('status', '=', 'connecting').executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
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
        try {
          const { adapter } = await ctx.adapters.forConnection(connectionId, { allowUnhealthy: true });
          const info = await adapter.testConnection();
          await db.updateTable('connections').set({ health: 'healthy', healthReason: null, healthCheckedAt: new Date(), site: siteFacts(info) }).where('id', '=', connectionId).execute();
          await writeAudit(db, { partnerId: row.partnerId, connectionId, actor, action: 'integration.health', outcome: 'ok', detail: { health: 'healthy' } });
          return { health: 'healthy', reason: null };
        } catch (err) {
          if (!(err instanceof PsaAuthError)) throw err;
          const reason = healthReasonOf(row, err);
          await markUnhealthy(ctx, row, actor, reason);
          return { health: 'unhealthy', reason };
        }
      });
    },
  };

  async function testPending(connectionId: string, psa: PsaKind, partnerId: string, actor: string): Promise<HealthResult> {
    const pdb = db;
    const pending = await pdb.selectFrom('pendingCredentials').selectAll().where('connectionId', '=', connectionId).executeTakeFirst();
    if (!pending) throw new RuleViolation('no_pending_credentials', 'There are no re-entered credentials to test; enter them again.');
    const credentials = ctx.keys.openJson(pending.credentials, pendingCredentialsAad(connectionId));
    let info: ConnectionInfo;
    let adapter: Awaited<ReturnType<typeof adapterForCredentials>>;
    try {
      adapter = await adapterForCredentials(psa, credentials, `${connectionId}:pending`, ctx.psa);
      info = await adapter.testConnection();
    } catch (err) {
      const reason = refusalReason(err);
      if (reason === null) throw err;
      await pdb.deleteFrom('pendingCredentials').where('connectionId', '=', connectionId).execute();
      await writeAudit(db, { partnerId, connectionId, actor, action: 'integration.credentials', outcome: 'error', detail: { reason } });
      throw credentialsRejected(psa, reason);
    }
    // The ticket-event subscription authenticates with a secret derived from the old credentials:
    // drop it (best effort) so the ticket engine subscribes again with the new ones.
    const subscription = (await pdb.selectFrom('connections').select('webhookSubscriptionId').where('id', '=', connectionId).executeTakeFirst())?.webhookSubscriptionId;
    if (subscription && !subscription.startsWith('pending:')) {
      await adapter.unsubscribeTicketEvents(subscription).catch((err: unknown) => ctx.log.warn('old ticket subscription not removed', { connectionId, error: String(err) }));
    }
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('connections')
        .set({ ...sealCredentials(ctx.keys, connectionId, credentials), webhookSubscriptionId: null, health: 'healthy', healthReason: null, healthCheckedAt: new Date(), site: siteFacts(info), updatedAt: sql<Date>`clock_timestamp()` })
        .where('id', '=', connectionId)
        .execute();
      await trx.deleteFrom('pendingCredentials').where('connectionId', '=', connectionId).execute();
    });
    ctx.adapters.invalidate(connectionId);
    await writeAudit(db, { partnerId, connectionId, actor, action: 'integration.credentials', outcome: 'ok', detail: { health: 'healthy' } });
    return { health: 'healthy', reason: null };
  }
}
