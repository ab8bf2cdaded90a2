/**
 * Integrations: each partner's connection to a PSA (status, health, sealed credentials, the
 * ticket-event subscription) and the read model the portal's cards come from (Connected, ticket
 * mapping done, plans Synced, organizations mapped), so the portal never asks Temporal.
 */
import { sql } from 'kysely';
import type { Db } from '../connect';
import type { Connection, ConnectionStatus, Health } from '../schema';
import { PSA_KINDS, type PsaKind } from '../../psa/core/types';
import type { SealedCredentials } from '../../security/credentials';
import { deviceCountsByConnection } from './devices';

// The routes read these from here until they import the areas' own modules.

export async function findConnection(db: Db, connectionId: string): Promise<Connection | undefined> {
  return db.selectFrom('connections').selectAll().where('id', '=', connectionId).executeTakeFirst();
}

/** The non-revoked connection of a partner × PSA (at most one: partial unique index). */
export async function liveConnection(db: Db, partnerId: string, psa: PsaKind): Promise<Connection | undefined> {
  return db.selectFrom('connections').selectAll().where('partnerId', '=', partnerId).where('psa', '=', psa).where('status', '<>', 'revoked').executeTakeFirst();
}

/**
 * A `connecting` row holding the partner's sealed credentials, before any PSA call. Throws the
 * database's unique violation (23505) when another live connection of this partner × PSA exists.
 */
export async function insertConnecting(db: Db, row: { id: string; partnerId: string; psa: PsaKind } & SealedCredentials): Promise<void> {
  await db.insertInto('connections').values({ ...row, status: 'connecting', site: JSON.stringify({}) }).execute();
}

/** Deletes the row if it is still `connecting` (a failed or abandoned connect); true when it did. */
export async function discardConnecting(db: Db, connectionId: string): Promise<boolean> {
  const res = await db.deleteFrom('connections').where('id', '=', connectionId).where('status', '=', 'connecting').executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** A tested `connecting` row becomes Connected + Healthy; false when it is no longer `connecting`. */
export async function markConnected(db: Db, connectionId: string, site: Record<string, string>): Promise<boolean> {
  const done = await db
    .updateTable('connections')
    .set({ status: 'connected', health: 'healthy', healthReason: null, healthCheckedAt: new Date(), site: JSON.stringify(site), connectedAt: new Date(), updatedAt: new Date() })
    .where('id', '=', connectionId)
    .where('status', '=', 'connecting')
    .executeTakeFirst();
  return Number(done.numUpdatedRows) > 0;
}

export async function markHealthy(db: Db, connectionId: string, site: Record<string, string>): Promise<void> {
  await db.updateTable('connections').set({ health: 'healthy', healthReason: null, healthCheckedAt: new Date(), site: JSON.stringify(site) }).where('id', '=', connectionId).execute();
}

/**
 * Marks the connection Unhealthy with `reason` (the latest refusal's). True when this made it
 * Unhealthy: the row is locked as it is read, before the update, so of several calls failing at
 * once exactly one sees the change.
 */
export async function markUnhealthy(db: Db, connectionId: string, reason: string): Promise<boolean> {
  const r = await db
    .with('before', (qb) => qb.selectFrom('connections').select(['id', 'health']).where('id', '=', connectionId).forUpdate())
    .updateTable('connections')
    .from('before')
    .set({ health: 'unhealthy', healthReason: reason, healthCheckedAt: new Date(), updatedAt: new Date() })
    .whereRef('connections.id', '=', 'before.id')
    .returning('before.health as previousHealth')
    .executeTakeFirst();
  return r?.previousHealth === 'healthy';
}

export async function pendingCredentialsOf(db: Db, connectionId: string) {
  return db.selectFrom('pendingCredentials').selectAll().where('connectionId', '=', connectionId).executeTakeFirst();
}

/** Re-entered credentials wait here for their test; a newer entry replaces an older one. */
export async function savePendingCredentials(db: Db, connectionId: string, sealed: SealedCredentials): Promise<void> {
  await db
    .insertInto('pendingCredentials')
    .values({ connectionId, ...sealed })
    .onConflict((oc) => oc.column('connectionId').doUpdateSet(sealed))
    .execute();
}

export async function dropPendingCredentials(db: Db, connectionId: string): Promise<void> {
  await db.deleteFrom('pendingCredentials').where('connectionId', '=', connectionId).execute();
}

/**
 * Tested re-entered credentials replace the stored ones, with no subscription left (its secret
 * came from the old ones), Healthy again; the pending entry goes in the same transaction.
 */
export async function replaceCredentials(db: Db, connectionId: string, sealed: SealedCredentials, site: Record<string, string>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('connections')
      .set({ ...sealed, webhookSubscriptionId: null, health: 'healthy', healthReason: null, healthCheckedAt: new Date(), site: JSON.stringify(site), updatedAt: sql<Date>`clock_timestamp()` })
      .where('id', '=', connectionId)
      .execute();
    await dropPendingCredentials(trx, connectionId);
  });
}

/** First step of a revoke: a connected (or connecting) row becomes `revoking`. */
export async function markRevoking(db: Db, connectionId: string): Promise<void> {
  await db.updateTable('connections').set({ status: 'revoking' }).where('id', '=', connectionId).where('status', 'in', ['connected', 'connecting']).execute();
}

/** Last step of a revoke: the credentials (stored and pending) are forgotten and the row ends. */
export async function markRevoked(db: Db, connectionId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await dropPendingCredentials(trx, connectionId);
    await trx
      .updateTable('connections')
      .set({ status: 'revoked', credentials: null, credentialsKeyId: null, webhookSubscriptionId: null, revokedAt: new Date(), updatedAt: new Date() })
      .where('id', '=', connectionId)
      .execute();
  });
}

/** `webhook_subscription_id` holds `pending:<epoch ms>` while a worker subscribes (a claim). */
export const WEBHOOK_CLAIM_PREFIX = 'pending:';

/**
 * Claims the right to subscribe the connection to ticket events: true when no subscription and
 * no live claim exists (a claim older than `staleAfterMs` was left by a crashed worker).
 */
export async function claimWebhookSubscription(db: Db, connectionId: string, staleAfterMs: number): Promise<boolean> {
  const stale = `${WEBHOOK_CLAIM_PREFIX}${Date.now() - staleAfterMs}`;
  const r = await db
    .updateTable('connections')
    .set({ webhookSubscriptionId: `${WEBHOOK_CLAIM_PREFIX}${Date.now()}` })
    .where('id', '=', connectionId)
    .where('status', '=', 'connected')
    // Claims sort by time within the prefix only when equally long; epoch ms stays 13 digits until 2286.
    .where((eb) =>
      eb.or([eb('webhookSubscriptionId', 'is', null), eb.and([eb('webhookSubscriptionId', 'like', `${WEBHOOK_CLAIM_PREFIX}%`), eb('webhookSubscriptionId', '<', stale)])]),
    )
    .returning('id')
    .executeTakeFirst();
  return !!r;
}

/** Drops a claim whose subscription failed, so the next ticket tries again. */
export async function releaseWebhookClaim(db: Db, connectionId: string): Promise<void> {
  await db.updateTable('connections').set({ webhookSubscriptionId: null }).where('id', '=', connectionId).where('webhookSubscriptionId', 'like', `${WEBHOOK_CLAIM_PREFIX}%`).execute();
}

/** The vendor's subscription id (made), or null (removed). */
export async function setWebhookSubscription(db: Db, connectionId: string, subscriptionId: string | null): Promise<void> {
  await db.updateTable('connections').set({ webhookSubscriptionId: subscriptionId }).where('id', '=', connectionId).execute();
}

export interface IntegrationBadges {
  psa: PsaKind;
  connectionId: string | null;
  status: ConnectionStatus | 'not_connected';
  health: Health | null;
  healthReason: string | null;
  accountName: string | null;
  connected: boolean;
  ticketMappingDone: boolean;
  syncedPlans: number;
  mappedOrganizations: number;
  /** Organization mappings the directory feed flagged (their plan is not mapped on this PSA, or not the one they were mapped under). */
  flaggedOrganizations: number;
  connectedAt: string | null;
  /** Devices whose configuration is in step with the platform / that could not be written (reason in the device's state). */
  devicesSynced: number;
  devicesFailed: number;
}

/** One card per PSA, as the Integrations page shows them. */
export async function listIntegrations(db: Db, partnerId: string): Promise<IntegrationBadges[]> {
  const rows = await db
    .selectFrom('connections as c')
    .leftJoin('ticketMappings as t', 't.connectionId', 'c.id')
    .select([
      'c.id',
      'c.psa',
      'c.status',
      'c.health',
      'c.healthReason',
      'c.site',
      'c.connectedAt',
      't.connectionId as ticketMapped',
      (eb) => eb.selectFrom('planMappings').select(sql<number>`count(*)::int`.as('n')).whereRef('planMappings.connectionId', '=', 'c.id').where('planMappings.status', '=', 'synced').as('syncedPlans'),
      (eb) => eb.selectFrom('organizationMappings').select(sql<number>`count(*)::int`.as('n')).whereRef('organizationMappings.connectionId', '=', 'c.id').where('organizationMappings.status', '=', 'mapped').as('mappedOrganizations'),
      (eb) => eb.selectFrom('organizationMappings').select(sql<number>`count(*)::int`.as('n')).whereRef('organizationMappings.connectionId', '=', 'c.id').where('organizationMappings.flag', 'is not', null).as('flaggedOrganizations'),
    ])
    .where('c.partnerId', '=', partnerId)
    .where('c.status', '<>', 'revoked')
    .execute();
  const devices = await deviceCountsByConnection(
    db,
    rows.map((r) => r.id),
  );
  return PSA_KINDS.map((psa) => {
    const r = rows.find((x) => x.psa === psa);
    if (!r) {
      return { psa, connectionId: null, status: 'not_connected', health: null, healthReason: null, accountName: null, connected: false, ticketMappingDone: false, syncedPlans: 0, mappedOrganizations: 0, flaggedOrganizations: 0, connectedAt: null, devicesSynced: 0, devicesFailed: 0 };
    }
    return {
      psa,
      connectionId: r.id,
      status: r.status,
      health: r.health,
      healthReason: r.healthReason,
      accountName: r.site.accountName ?? null,
      connected: r.status === 'connected',
      ticketMappingDone: r.ticketMapped !== null,
      syncedPlans: r.syncedPlans ?? 0,
      mappedOrganizations: r.mappedOrganizations ?? 0,
      flaggedOrganizations: r.flaggedOrganizations ?? 0,
      connectedAt: r.connectedAt ? new Date(r.connectedAt).toISOString() : null,
      devicesSynced: devices.get(r.id)?.synced ?? 0,
      devicesFailed: devices.get(r.id)?.failed ?? 0,
    };
  });
}

