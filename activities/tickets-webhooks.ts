/**
 * PSA ticket webhooks: the one-time subscription made before a connection's first ticket. The
 * PSA authenticates its calls with a per-connection secret derived from the connection's
 * credentials (security/credentials.ts); re-entered credentials change it, and the lifecycle then
 * re-subscribes by clearing `webhook_subscription_id`.
 */
import type { ActivityDeps } from './deps';
import type { AdapterProvider } from '../infra/psa-adapters';
import { ticketWebhookSecret } from '../security/credentials';
import { claimWebhookSubscription, releaseWebhookClaim, setWebhookSubscription, WEBHOOK_CLAIM_PREFIX } from '../db/repositories/integrations';
import { writeAudit } from '../db/repositories/audit';
import { TICKET_ACTOR } from './ticket-calls';

export function ticketWebhookUrl(publicBaseUrl: string, connectionId: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/v1/psa-webhooks/${connectionId}`;
}

/** A claim older than this is considered abandoned by a crashed worker and may be retaken. */
const CLAIM_TTL_MS = 2 * 60_000;

/** The connection row already holds a subscription (not just a claim on making one). */
export function hasTicketWebhook(webhookSubscriptionId: string | null): boolean {
  return webhookSubscriptionId !== null && !webhookSubscriptionId.startsWith(WEBHOOK_CLAIM_PREFIX);
}

/**
 * Subscribes the connection to ticket events once (a no-op when already subscribed, or being
 * subscribed): claimed in the row first, so concurrent tickets subscribe once.
 */
export async function ensureTicketWebhook(deps: ActivityDeps, adapters: AdapterProvider, connectionId: string): Promise<'subscribed' | 'already'> {
  if (!(await claimWebhookSubscription(deps.db, connectionId, CLAIM_TTL_MS))) return 'already';
  try {
    const { adapter, connection } = await adapters.forConnection(connectionId);
    const secret = ticketWebhookSecret(deps.keys, connectionId, connection.credentials as Buffer);
    const id = await adapter.subscribeTicketEvents(ticketWebhookUrl(deps.publicBaseUrl, connectionId), secret);
    await setWebhookSubscription(deps.db, connectionId, id);
    await writeAudit(deps.db, { partnerId: connection.partnerId, connectionId, actor: TICKET_ACTOR, action: 'webhook.subscribe', target: `connection:${connectionId}`, outcome: 'ok', detail: { subscriptionId: id } });
    return 'subscribed';
  } catch (err) {
    await releaseWebhookClaim(deps.db, connectionId);
    throw err;
  }
}
