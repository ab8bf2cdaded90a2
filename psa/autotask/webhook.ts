/**
 * Inbound Autotask ticket webhooks: `X-Hook-Signature: sha1=<base64 HMAC-SHA1(SecretKey, body)>`.
 * Autotask signs a form of the body in which some characters inside strings are \uXXXX-escaped,
 * so the raw body is tried first and then that escaped form (issue msoukhomlinov/n8n-nodes-autotask#6).
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

const ESCAPED: Record<string, string> = { '&': '0026', '<': '003C', '>': '003E', "'": '0027', '"': '0022', '`': '0060', '+': '002B' };

/**
 * The form Autotask computes its signature over: inside JSON strings, `& < > ' " \` +` and every
 * non-ASCII character become `\uXXXX` (an already escaped `\"` becomes `\u0022`). The case of
 * the hex digits is not documented, so both spellings are produced on request.
 */
export function autotaskEscapedForm(body: string, hexCase: 'upper' | 'lower' = 'upper'): string {
  const hex = (code: string) => `\\u${hexCase === 'upper' ? code.toUpperCase() : code.toLowerCase()}`;
  let out = '';
  let inString = false;
  let escaped = false;
  // UTF-16 units, so a character outside the BMP becomes its two surrogate escapes, as .NET writes it.
  for (let i = 0; i < body.length; i += 1) {
    const ch = body.charAt(i);
    if (escaped) {
      // The character after a backslash: only an escaped quote is rewritten.
      out = ch === '"' ? `${out.slice(0, -1)}${hex(ESCAPED['"'] as string)}` : out + ch;
      escaped = false;
      continue;
    }
    if (ch === '\\' && inString) {
      escaped = true;
      out += ch;
      continue;
    }
    if (ch === '"') {
      inString = !inString;
      out += ch;
      continue;
    }
    const code = ESCAPED[ch] ?? (inString && ch.charCodeAt(0) > 127 ? ch.charCodeAt(0).toString(16).padStart(4, '0') : undefined);
    out += inString && code !== undefined ? hex(code) : ch;
  }
  return out;
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
  const candidates = [rawBody, autotaskEscapedForm(rawBody, 'upper'), autotaskEscapedForm(rawBody, 'lower')];
  if (!secret || !given || !candidates.some((form) => equal(given, sign(secret, form)))) {
    throw new PsaAuthError('Autotask webhook signature does not match');
  }
  let body: { Action?: unknown; Id?: unknown; EntityType?: unknown; Fields?: Record<string, unknown> };
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new PsaValidationError('Autotask webhook body is not JSON');
  }
  if (body.Id === undefined || body.Id === null) throw new PsaValidationError('Autotask webhook names no record');
  if (body.EntityType !== undefined && String(body.EntityType).toLowerCase() !== 'ticket') throw new PsaValidationError(`Autotask webhook is about a ${String(body.EntityType)}, not a ticket`);
  const fields = Object.fromEntries(Object.entries(body.Fields ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const status = fields.status === undefined || fields.status === null ? null : String(fields.status);
  return { ticketId: String(body.Id), statusId: status, action: String(body.Action ?? 'Update').toLowerCase(), ...(status === '5' ? { closed: true } : {}) };
}
