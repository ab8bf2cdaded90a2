/**
 * HaloPSA webhooks. Halo signs nothing: a webhook carries HTTP Basic credentials we chose when
 * registering it (`authentication_type` basic), so verification is a constant-time comparison of
 * the Authorization header. The body names the event, the webhook id and the object (ticket) id;
 * with the "full object" payload type it also carries the ticket.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { PsaAuthError, PsaValidationError } from '../core/errors';

/** The Basic user name we register; the per-connection secret is the password. */
export const HALO_WEBHOOK_USERNAME = 'psa-sync';

/**
 * Events we subscribe to: anything that can change or close a ticket. Not "New Ticket Logged":
 * the only new tickets that concern us are the ones we log, and Halo would call us about each.
 */
export const HALO_TICKET_EVENTS = ['Ticket Updated', 'Ticket Status Changed', 'Ticket Closed', 'Action Added'] as const;

export interface HaloWebhookEvent {
  ticketId: string;
  /** From the ticket in the payload when present; re-read the ticket when undefined. */
  closed?: boolean;
  /** Normalised event name, e.g. `ticket_closed`. */
  action: string;
  webhookId: string | null;
  /** The agent behind the event's action, when the payload carries one (our own writes included: Halo does not suppress them). */
  actorAgentId?: string;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : headers[key];
  return Array.isArray(v) ? v[0] : v;
}

/** Compares digests so neither length nor content leaks through timing. */
function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

const asId = (v: unknown): string | null => (typeof v === 'number' || (typeof v === 'string' && v.trim() !== '') ? String(v).trim() : null);
const asBool = (v: unknown): boolean | undefined =>
  typeof v === 'boolean' ? v : v === 1 || v === 'true' || v === 'True' ? true : v === 0 || v === 'false' || v === 'False' ? false : undefined;

/**
 * Verifies the Basic credentials of an inbound HaloPSA webhook and extracts the ticket.
 * Throws PsaAuthError on missing or wrong credentials, PsaValidationError on a body without a ticket.
 */
export function verifyHaloPsaWebhook(
  rawBody: string | Buffer,
  headers: Headers,
  secret: string,
  username: string = HALO_WEBHOOK_USERNAME,
): HaloWebhookEvent {
  const given = header(headers, 'authorization') ?? '';
  if (!secret || !constantTimeEqual(given.trim(), basicAuthorization(username, secret))) {
    throw new PsaAuthError('HaloPSA webhook authentication failed');
  }
  let body: unknown;
  try {
    body = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
  } catch {
    throw new PsaValidationError('HaloPSA webhook body is not JSON', { details: ['invalid JSON'] });
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new PsaValidationError('HaloPSA webhook body is not an object', { details: ['expected an object'] });
  }
  const obj = body as Record<string, unknown>;
  const ticket = obj.ticket && typeof obj.ticket === 'object' ? (obj.ticket as Record<string, unknown>) : null;
  const ticketId = asId(obj.object_id) ?? asId(obj.objectid) ?? asId(ticket?.id) ?? asId(obj.ticket_id);
  if (!ticketId) throw new PsaValidationError('HaloPSA webhook names no ticket', { details: ['object_id missing'] });
  const eventName = [obj.event, obj.event_name, obj.eventname].find((v): v is string => typeof v === 'string') ?? 'unknown';
  const closed = ticket ? asBool(ticket.hasbeenclosed) : undefined;
  const action = obj.action && typeof obj.action === 'object' ? (obj.action as Record<string, unknown>) : null;
  const actorAgentId = asId(action?.who_agentid);
  return {
    ticketId,
    ...(closed === undefined ? {} : { closed }),
    ...(actorAgentId ? { actorAgentId } : {}),
    action: eventName.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, ''),
    webhookId: asId(obj.webhook_id) ?? asId(obj.webhookid),
  };
}
