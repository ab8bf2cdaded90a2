/**
 * How a ticket activity calls the PSA. A write that fails leaves an audit row with the vendor's
 * answer. The failure then leaves the activity typed: throttling becomes a Temporal retry after
 * the vendor's Retry-After, permanent refusals become non-retryable failures (the workflow records
 * them), and an auth failure marks the connection Unhealthy (connection-health.ts), so no further
 * PSA call is made until the partner re-enters credentials. The failure `type` is the class name.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { isPsaError, PsaAuthError, PsaRateLimitedError } from '../psa/core/errors';
import type { AdapterProvider } from '../infra/psa-adapters';
import { writeAudit } from '../db/repositories/audit';
import { connectionRefused, type RefusedConnection } from './connection-health';
import type { ActivityDeps } from './deps';

/** Who the audit log names for ticket work. */
export const TICKET_ACTOR = 'psa-sync:tickets';

/** The audit row a failed write leaves: which action, on which ticket. */
export interface AuditedWrite {
  action: string;
  target: string;
}

export function ticketCalls(deps: Pick<ActivityDeps, 'db' | 'log'> & { adapters: AdapterProvider }) {
  /** A PSA failure as it leaves the activity (other errors unchanged). */
  async function failure(err: unknown, connection: RefusedConnection): Promise<unknown> {
    if (!isPsaError(err)) return err;
    if (err instanceof PsaAuthError) await connectionRefused(deps, connection, err, TICKET_ACTOR);
    if (err instanceof PsaRateLimitedError) {
      return ApplicationFailure.create({ type: err.name, message: err.message, nextRetryDelay: Math.max(err.retryAfterMs, 100) });
    }
    return ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: !err.retryable });
  }

  /** Runs one PSA call; a failed write is audited, and every failure leaves typed. */
  async function call<T>(connection: RefusedConnection, write: AuditedWrite | null, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (write) {
        const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        await writeAudit(deps.db, { partnerId: connection.partnerId, connectionId: connection.id, actor: TICKET_ACTOR, ...write, outcome: 'error', detail: { error } }).catch(() => undefined);
      }
      throw await failure(err, connection);
    }
  }

  return { call, failure };
}
