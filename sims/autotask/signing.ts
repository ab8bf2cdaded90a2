/**
 * How Autotask signs webhook deliveries, written independently of the adapter's verifier so a
 * mistake in one cannot hide in the other: HMAC-SHA1 with the webhook's SecretKey, base64, as
 * `sha1=…` in `X-Hook-Signature`, computed over the body with `& < > ' " \` +` and non-ASCII
 * characters inside JSON strings written as upper-case `\uXXXX` (the body itself is sent as is).
 */
import { createHmac } from 'node:crypto';

const STRING_LITERAL = /"(?:[^"\\]|\\.)*"/g;
const SPECIAL = /\\"|[&<>'`+]|[^\x00-\x7f]/g;

const unicode = (unit: number) => `\\u${unit.toString(16).toUpperCase().padStart(4, '0')}`;

export function escapeForSignature(body: string): string {
  return body.replace(STRING_LITERAL, (literal) => {
    const inner = literal.slice(1, -1).replace(SPECIAL, (m) => (m === '\\"' ? unicode(0x22) : unicode(m.charCodeAt(0))));
    return `"${inner}"`;
  });
}

/** `sha1=<base64 HMAC-SHA1(secret, body)>` over exactly `body`. */
export function signWebhookBody(secret: string, body: string): string {
  return `sha1=${createHmac('sha1', secret).update(body, 'utf8').digest('base64')}`;
}

/** The signature header value Autotask sends with `body`. */
export function signWebhookDelivery(secret: string, body: string): string {
  return signWebhookBody(secret, escapeForSignature(body));
}
