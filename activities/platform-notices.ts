/**
 * Notices to the platform about a connection (broken mappings found by reconcile, health
 * changes): POSTed to `platformCallbackUrl` when one is configured, with an idempotency key so
 * a retried delivery is recognised, and always recorded in the audit log.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { writeAudit } from '../db/repositories/audit';

export interface PlatformNotice {
  type: 'mapping.broken' | 'connection.health';
  partnerId: string;
  connectionId: string;
  idempotencyKey: string;
  actor: string;
  body: Record<string, unknown>;
}

export interface Delivery {
  delivered: boolean;
  status: number | null;
}

/**
 * One POST to the platform's callback (nothing when none is configured). A 4xx other than
 * 408/429 will not get better by retrying, so it fails the activity for good; anything else is
 * retried by Temporal under the same idempotency key.
 */
export async function postToPlatform(callbackUrl: string | null | undefined, idempotencyKey: string, payload: Record<string, unknown>): Promise<Delivery> {
  if (!callbackUrl) return { delivered: false, status: null };
  const res = await fetch(callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) {
    const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    throw ApplicationFailure.create({ type: 'PlatformCallbackFailed', message: `platform callback answered ${res.status}`, nonRetryable: permanent });
  }
  return { delivered: true, status: res.status };
}

export async function notifyPlatform(deps: Pick<ActivityDeps, 'db' | 'platformCallbackUrl'>, notice: PlatformNotice): Promise<Delivery> {
  const result = await postToPlatform(deps.platformCallbackUrl, notice.idempotencyKey, {
    type: notice.type,
    partnerId: notice.partnerId,
    connectionId: notice.connectionId,
    ...notice.body,
  });
  await writeAudit(deps.db, {
    partnerId: notice.partnerId,
    connectionId: notice.connectionId,
    actor: notice.actor,
    action: `platform.${notice.type}`,
    outcome: 'ok',
    detail: { ...result, ...notice.body },
  });
  return result;
}
