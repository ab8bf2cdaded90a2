/**
 * Inbound Autotask ticket webhooks: `X-Hook-Signature: sha1=<base64 HMAC-SHA1(SecretKey, body)>`.
 * Autotask signs a form of the body in which some characters inside strings are \uXXXX-escaped,
 * so the raw body is tried first and then that escaped form.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { PsaAuthError, PsaValidationError } from '../core/errors';

export interface AutotaskWebhookEvent {
  ticketId: string;
  /** True when the payload's status is the built-in Complete (5); otherwise unknown: re-read the ticket. */
  closed?: boolean;
  statusId: string | null;
  action: string;
}

const sign = (secret: string, body: string) => createHmac('sha1', secret).update(body, 'utf8').digest('base64');

/** The escaped form Autotask computes its signature over. */
export function autotaskEscapedForm(body: string): string {
  return body.replace(/[&<>'+`]|[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function verifyAutotaskWebhook(rawBody: string, headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, secret: string): AutotaskWebhookEvent {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'x-hook-signature');
  const raw = key ? headers[key] : undefined;
  const given = String((Array.isArray(raw) ? raw[0] : raw) ?? '').replace(/^sha1=/i, '');
  if (!secret || !given || !(equal(given, sign(secret, rawBody)) || equal(given, sign(secret, autotaskEscapedForm(rawBody))))) {
    throw new PsaAuthError('Autotask webhook signature does not match');
  }
  let body: { Action?: unknown; Id?: unknown; EntityType?: unknown; Fields?: Record<string, unknown> };
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new PsaValidationError('Autotask webhook body is not JSON');
  }
  if (body.Id === undefined || body.Id === null) throw new PsaValidationError('Autotask webhook names no record');
  const fields = Object.fromEntries(Object.entries(body.Fields ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const status = fields.status === undefined || fields.status === null ? null : String(fields.status);
  return { ticketId: String(body.Id), statusId: status, action: String(body.Action ?? 'Update').toLowerCase(), ...(status === '5' ? { closed: true } : {}) };
}
