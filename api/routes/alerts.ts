/**
 * Backup alerts from the platform, two ways in:
 *  - `POST /v1/alerts` with the platform's bearer token;
 *  - `POST /v1/webhooks/alerts`, signed: `x-psa-sync-signature: sha256=<hex HMAC-SHA256(ALERT_WEBHOOK_SECRET,
 *    timestamp + "." + raw body)>` and `x-psa-sync-timestamp: <unix seconds>`, within 5 minutes; a
 *    delivery seen before (same signature) is refused, so a captured request cannot be replayed.
 * Both are idempotent by `eventId`: a repeat answers with the first receipt (and
 * `x-idempotent-replay: true`). `GET /v1/alerts/:eventId/trace` shows what became of an alert; partner
 * users read their own alerts' traces under `/v1/partners/:partnerId/alerts/:eventId/trace`.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { route, safeEqual, Unauthenticated, type RouteDef, type RouteResult } from '../http';
import { integrationAuthorizer } from './access';
import { recordWebhookReceipt } from '../../db/repositories/alerts';
import { RuleViolation } from '../../domain/errors';
import { safeText, uuidId } from '../../domain/input';
import { alertInputSchema, alertReceiptSchema, createAlertsClient } from '../../client/alerts';
import type { TicketPolicy } from '../../workflows/ticket-messages';

export const ALERT_SIGNATURE_HEADER = 'x-psa-sync-signature';
export const ALERT_TIMESTAMP_HEADER = 'x-psa-sync-timestamp';
export const ALERT_WEBHOOK_TOLERANCE_SEC = 300;

/** What the platform computes to sign a delivery. */
export function signAlertWebhook(secret: string, timestampSec: number, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSec}.${rawBody}`).digest('hex')}`;
}

const eventId = safeText().min(1).max(200);

export interface AlertRouteOptions {
  /** Ticket timing (debounce, flap and catch-up windows); defaults from ticket-messages. */
  policy?: Partial<TicketPolicy>;
}

export function alertRoutes(deps: ApiDeps, options: AlertRouteOptions = {}): RouteDef[] {
  const alerts = createAlertsClient({ db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, ...(options.policy ? { policy: options.policy } : {}) });
  const authorize = integrationAuthorizer(deps.db);

  const answer = async (body: unknown): Promise<RouteResult> => {
    const { receipt, duplicate } = await alerts.reportAlert(body);
    const headers: Record<string, string> = duplicate ? { 'x-idempotent-replay': 'true' } : {};
    return { status: 202, body: receipt, headers };
  };

  async function verifySignedDelivery(rawBody: string, headers: Record<string, string | string[] | undefined>): Promise<void> {
    const ts = String(headers[ALERT_TIMESTAMP_HEADER] ?? '');
    const given = String(headers[ALERT_SIGNATURE_HEADER] ?? '');
    if (!/^\d{9,11}$/.test(ts) || !given) throw new Unauthenticated('A signed alert needs x-psa-sync-timestamp and x-psa-sync-signature');
    if (Math.abs(Date.now() / 1000 - Number(ts)) > ALERT_WEBHOOK_TOLERANCE_SEC) throw new Unauthenticated('The alert signature has expired');
    const expected = signAlertWebhook(deps.config.ALERT_WEBHOOK_SECRET, Number(ts), rawBody);
    if (!safeEqual(given.trim(), expected)) throw new Unauthenticated('The alert signature does not match');
    if (!(await recordWebhookReceipt(deps.db, `alert:${expected.slice(7)}`))) throw new RuleViolation('webhook_replayed', 'This signed delivery was already received');
  }

  return [
    route({
      method: 'POST',
      path: '/v1/alerts',
      summary: 'Report a backup alert (raised or recovered) for an organization',
      tags: ['alerts'],
      auth: 'platform',
      body: alertInputSchema,
      response: alertReceiptSchema,
      handler: ({ body }) => answer(body),
    }),
    route({
      method: 'POST',
      path: '/v1/webhooks/alerts',
      summary: 'Report a backup alert as a signed webhook (HMAC-SHA256 over timestamp.body)',
      tags: ['alerts'],
      auth: 'none',
      response: alertReceiptSchema,
      async handler({ rawBody, headers }) {
        await verifySignedDelivery(rawBody, headers);
        // Parsed only after the signature holds, so unsigned garbage never reaches validation.
        let json: unknown;
        try {
          json = JSON.parse(rawBody);
        } catch {
          json = undefined;
        }
        return answer(json);
      },
    }),
    route({
      method: 'GET',
      path: '/v1/partners/:partnerId/alerts/:eventId/trace',
      summary: "An alert's trace for a partner user (Owner, Super Admin, Admin of the partner or an ancestor)",
      tags: ['alerts'],
      auth: 'user',
      params: z.object({ partnerId: uuidId(), eventId }).strict(),
      async handler({ params, user }) {
        await authorize(user, params.partnerId);
        // Only that partner's own alerts: another partner's event id answers 404 like an unknown one.
        return { body: await alerts.alertTrace(params.eventId, [params.partnerId]) };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/alerts/:eventId/trace',
      summary: "An alert's trace: received, mapped, ticket created, notes, closed",
      tags: ['alerts'],
      auth: 'platform',
      params: z.object({ eventId }).strict(),
      async handler({ params }) {
        return { body: await alerts.alertTrace(params.eventId) };
      },
    }),
  ];
}
