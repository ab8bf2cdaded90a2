/**
 * PSA ticket webhooks: the per-connection secret the PSA authenticates its calls with, and the
 * one-time subscription made before a connection's first ticket. The secret is derived from the
 * connection's decrypted credentials and id, so nothing new is stored and only a holder of the
 * encryption key and the database row can compute it; re-entered credentials change it (the
 * lifecycle then re-subscribes by clearing `webhook_subscription_id`).
 */
import { createHash, createHmac } from 'node:crypto';
import type { Db } from '../db/connect';
import type { KeyRing } from '../security/crypto';
import type { ActivityDeps } from './deps';
import { credentialsAad, type AdapterProvider } from './psa-connections';

export function ticketWebhookSecret(keys: KeyRing, connectionId: string, sealedCredentials: Buffer): string {
  const plain = keys.decrypt(sealedCredentials, credentialsAad(connectionId));
  const key = createHash('sha256').update(plain).digest();
  return createHmac('sha256', key).update(`psa-sync-ticket-webhook:${connectionId}`).digest('base64url');
}

export function ticketWebhookUrl(publicBaseUrl: string, connectionId: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/v1/psa-webhooks/${connectionId}`;
}

/** A claim older than this is considered abandoned by a crashed worker and may be retaken. */
const CLAIM_TTL_MS = 2 * 60_000;
const CLAIM_PREFIX = 'pending:';

/** The connection row already holds a subscription (not just a claim on making one). */
export function hasTicketWebhook(webhookSubscriptionId: string | null): boolean {
  return webhookSubscriptionId !== null && !webhookSubscriptionId.startsWith(CLAIM_PREFIX);
}

async function claim(db: Db, connectionId: string): Promise<boolean> {
  const stale = `${CLAIM_PREFIX}${Date.now() - CLAIM_TTL_MS}`;
  const r = await db
    .updateTable('connections')
    .set({ webhookSubscriptionId: `${CLAIM_PREFIX}${Date.now()}` })
    .where('id', '=', connectionId)
    .where('status', '=', 'connected')
    // Claims sort by time within the prefix only when equally long; epoch ms stays 13 digits until 2286.
    .where((eb) => eb.or([eb('webhookSubscriptionId', 'is', null), eb.and([eb('webhookSubscriptionId', 'like', `${CLAIM_PREFIX}%`), eb('webhookSubscriptionId', '<', stale)])]))
    .returning('id')
    .executeTakeFirst();
  return !!r;
}

/**
 * Subscribes the connection to ticket events once (a no-op when already subscribed, or being
 * subscribed): claimed in the row first, so concurrent tickets subscribe once.
 */
export async function ensureTicketWebhook(deps: ActivityDeps, adapters: AdapterProvider, connectionId: string): Promise<'subscribed' | 'already'> {
  if (!(await claim(deps.db, connectionId))) return 'already';
  try {
    const { adapter, connection } = await adapters.forConnection(connectionId);
    const secret = ticketWebhookSecret(deps.keys, connectionId, connection.credentials as Buffer);
    const id = await adapter.subscribeTicketEvents(ticketWebhookUrl(deps.publicBaseUrl, connectionId), secret);
    await deps.db.updateTable('connections').set({ webhookSubscriptionId: id }).where('id', '=', connectionId).execute();
    await deps.db
      .insertInto('auditLog')
      .values({ partnerId: connection.partnerId, connectionId, actor: 'psa-sync:tickets', action: 'webhook.subscribe', target: `connection:${connectionId}`, outcome: 'ok', detail: JSON.stringify({ subscriptionId: id }) })
      .execute();
    return 'subscribed';
  } catch (err) {
    await deps.db.updateTable('connections').set({ webhookSubscriptionId: null }).where('id', '=', connectionId).where('webhookSubscriptionId', 'like', `${CLAIM_PREFIX}%`).execute();
    throw err;
  }
}
