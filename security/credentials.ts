/**
 * PSA credentials at rest: sealed with the key ring, bound to their owner (the connection row, or
 * its pending slot for re-entered credentials), so a blob copied elsewhere does not open. The
 * ticket-webhook secret is derived from them, so nothing new is stored and only a holder of the
 * encryption key and the row can compute it; re-entered credentials change it.
 */
import { createHash, createHmac } from 'node:crypto';
import type { KeyRing } from './crypto';

/** AAD of a connection's stored credentials. */
export const credentialsAad = (connectionId: string) => `connections:${connectionId}`;

/** AAD of re-entered credentials: they open only for this connection's pending slot. */
export const pendingCredentialsAad = (connectionId: string) => `pending_credentials:${connectionId}`;

export interface SealedCredentials {
  credentials: Buffer;
  credentialsKeyId: string;
}

export function sealCredentials(keys: KeyRing, connectionId: string, credentials: unknown): SealedCredentials {
  return { credentials: keys.sealJson(credentials, credentialsAad(connectionId)), credentialsKeyId: keys.activeKeyId };
}

export function sealPendingCredentials(keys: KeyRing, connectionId: string, credentials: unknown): SealedCredentials {
  return { credentials: keys.sealJson(credentials, pendingCredentialsAad(connectionId)), credentialsKeyId: keys.activeKeyId };
}

export function openCredentials<T = unknown>(keys: KeyRing, connectionId: string, sealed: Buffer): T {
  return keys.openJson<T>(sealed, credentialsAad(connectionId));
}

export function openPendingCredentials<T = unknown>(keys: KeyRing, connectionId: string, sealed: Buffer): T {
  return keys.openJson<T>(sealed, pendingCredentialsAad(connectionId));
}

/** The secret the PSA authenticates its ticket events to this connection with. */
export function ticketWebhookSecret(keys: KeyRing, connectionId: string, sealedCredentials: Buffer): string {
  const plain = keys.decrypt(sealedCredentials, credentialsAad(connectionId));
  const key = createHash('sha256').update(plain).digest();
  return createHmac('sha256', key).update(`psa-sync-ticket-webhook:${connectionId}`).digest('base64url');
}
