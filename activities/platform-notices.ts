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

export async function notifyPlatform(deps: Pick<ActivityDeps, 'db' | 'platformCallbackUrl'>, notice: PlatformNotice): Promise<{ delivered: boolean; status: number | null }> {
  let result: { delivered: boolean; status: number | null } = { delivered: false, status: null };
  if (deps.platformCallbackUrl) {
    const res = await fetch(deps.platformCallbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': notice.idempotencyKey },
      body: JSON.stringify({ type: notice.type, partnerId: notice.partnerId, connectionId: notice.connectionId, ...notice.body }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) {
      const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      throw ApplicationFailure.create({ type: 'PlatformCallbackFailed', message: `platform callback answered ${res.status}`, nonRetryable: permanent });
    }
    result = { delivered: true, status: res.status };
  }
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
