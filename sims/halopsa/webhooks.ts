/**
 * Outbound webhook delivery as Halo does it: POST JSON with the webhook's Basic credentials.
 * Deliveries run in the background; `flush()` lets tests wait for them. Every attempt is kept
 * (Halo shows them on the webhook's Deliveries tab).
 */
import { randomUUID } from 'node:crypto';

export interface WebhookDelivery {
  webhookId: string;
  event: string;
  objectId: number;
  url: string;
  /** HTTP status the receiver answered, or 0 when it could not be reached. */
  status: number;
  at: number;
}

export interface OutboundWebhook {
  id: string;
  url: string;
  basicUsername: string;
  basicPassword: string;
  authenticationType: string;
}

export class WebhookDispatcher {
  readonly deliveries: WebhookDelivery[] = [];
  private readonly pending = new Set<Promise<void>>();
  private sequence = 1;

  constructor(private readonly timeoutMs = 5000) {}

  send(hook: OutboundWebhook, event: string, objectId: number, extra: Record<string, unknown>): void {
    const n = this.sequence++;
    const body = JSON.stringify({
      id: randomUUID(),
      notification_id: n,
      escmsg_id: 10_000 + n,
      event,
      webhook_id: hook.id,
      object_id: objectId,
      timestamp: new Date().toISOString(),
      ...extra,
    });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (/basic|^1$/i.test(hook.authenticationType)) {
      headers.authorization = `Basic ${Buffer.from(`${hook.basicUsername}:${hook.basicPassword}`).toString('base64')}`;
    }
    const p = this.post(hook, event, objectId, body, headers).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits until every delivery started so far has finished. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async post(hook: OutboundWebhook, event: string, objectId: number, body: string, headers: Record<string, string>): Promise<void> {
    let status = 0;
    try {
      const res = await fetch(hook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = 0;
    }
    this.deliveries.push({ webhookId: hook.id, event, objectId, url: hook.url, status, at: Date.now() });
  }
}
