/**
 * Callback delivery as the PSA does it: a JSON POST to the registered URL with the record id and
 * action appended, signed with `x-content-signature` = base64(HMAC-SHA256(key = SHA256(signing_key),
 * raw body)); the signing key is served at `Metadata.key_url`. Retries on 404/409/419/429 after
 * 2 s and 4 s (configurable), 5 s timeout.
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Callback, Ticket } from './types';

export interface CallbackDelivery {
  callbackId: number;
  url: string;
  action: string;
  ticketId: number;
  attempt: number;
  status: number | 'error';
}

export interface DeliveryOptions {
  retryDelaysMs: readonly number[];
  timeoutMs: number;
  /** CA for https receivers (tests usually receive over plain http). */
  ca?: string;
}

export function signCallbackBody(rawBody: string, signingKey: string): string {
  const key = createHash('sha256').update(signingKey, 'utf8').digest();
  return createHmac('sha256', key).update(rawBody, 'utf8').digest('base64');
}

/** The docs suggest URLs ending in `recordId=` (the PSA appends the id); otherwise add `id` and `action`. */
export function deliveryUrl(url: string, ticketId: number, action: string): string {
  if (url.endsWith('=')) return `${url}${ticketId}`;
  return `${url}${url.includes('?') ? '&' : '?'}id=${ticketId}&action=${action}`;
}

function post(url: string, body: string, headers: Record<string, string>, opts: DeliveryOptions): Promise<number> {
  const target = new URL(url);
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      {
        method: 'POST',
        timeout: opts.timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
        ...(opts.ca ? { ca: opts.ca } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('callback timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

const RETRY_STATUSES = new Set([404, 409, 419, 429]);

export class CallbackDispatcher {
  readonly deliveries: CallbackDelivery[] = [];
  private readonly pending = new Set<Promise<void>>();
  private messageSeq = 0;

  constructor(private readonly opts: DeliveryOptions) {}

  dispatch(input: {
    callbacks: readonly Callback[];
    ticket: Ticket;
    action: 'added' | 'updated' | 'deleted';
    actor: { id: number; identifier: string };
    companyId: string;
    fromUrl: string;
    keyUrl: string;
    signingKey: string;
  }): void {
    for (const cb of input.callbacks) {
      if (cb.inactiveFlag || cb.type.toLowerCase() !== 'ticket') continue;
      const level = cb.level.toLowerCase();
      if (level === 'board' && cb.objectId !== input.ticket.board.id) continue;
      if (level !== 'owner' && level !== 'board') continue;
      // Self-suppressed callbacks skip changes made by the member that registered them.
      if (cb.isSelfSuppressedFlag && cb.memberId === input.actor.id) continue;
      this.messageSeq += 1;
      const body = JSON.stringify({
        MessageId: `00000000-0000-4000-8000-${String(this.messageSeq).padStart(12, '0')}`,
        FromUrl: input.fromUrl,
        CompanyId: input.companyId,
        MemberId: input.actor.identifier,
        Action: input.action,
        Type: 'ticket',
        ID: input.ticket.id,
        ProductInstanceId: '',
        PartnerId: '',
        Entity: JSON.stringify(input.ticket),
        Metadata: { key_url: input.keyUrl },
        CallbackObjectRecId: cb.id,
      });
      const signature = signCallbackBody(body, input.signingKey);
      const url = deliveryUrl(cb.url, input.ticket.id, input.action);
      const run = this.deliver(cb.id, url, body, signature, input.action, input.ticket.id);
      this.pending.add(run);
      void run.finally(() => this.pending.delete(run));
    }
  }

  /** Resolves once every delivery started so far has finished (including retries). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async deliver(callbackId: number, url: string, body: string, signature: string, action: string, ticketId: number): Promise<void> {
    const delays = [0, ...this.opts.retryDelaysMs];
    for (let attempt = 1; attempt <= delays.length; attempt += 1) {
      const wait = delays[attempt - 1] ?? 0;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      let status: number | 'error';
      try {
        status = await post(url, body, { 'x-content-signature': signature }, this.opts);
      } catch {
        status = 'error';
      }
      this.deliveries.push({ callbackId, url, action, ticketId, attempt, status });
      if (status !== 'error' && !RETRY_STATUSES.has(status)) return;
    }
  }
}
