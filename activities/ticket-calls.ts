/**
 * How a ticket activity calls the PSA. A write that fails leaves an audit row with the vendor's
 * answer. The failure then leaves the activity typed: throttling becomes a Temporal retry after
 * the vendor's Retry-After, permanent refusals become non-retryable failures (the workflow records
 * them), and an auth failure marks the connection Unhealthy (connection-health.ts), so no further
 * PSA call is made until the partner re-enters credentials. The failure `type` is the class name.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { PsaCallAbandoned, withCallSignal } from '../psa/core/call-context';
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

/** The running activity attempt's cancellation signal (none outside an activity). */
function attemptSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
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

  /**
   * Runs one PSA call; a failed write is audited, and every failure leaves typed. The call is
   * bound to the attempt's cancellation signal: an attempt Temporal gave up on (the local
   * activity timed out while it waited for the rate budget) sends nothing more.
   */
  async function call<T>(connection: RefusedConnection, write: AuditedWrite | null, fn: () => Promise<T>): Promise<T> {
    try {
      return await withCallSignal(attemptSignal(), fn);
    } catch (err) {
      // An abandoned attempt wrote nothing and nobody waits for its answer: no audit row.
      if (write && !(err instanceof PsaCallAbandoned)) {
        const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        await writeAudit(deps.db, { partnerId: connection.partnerId, connectionId: connection.id, actor: TICKET_ACTOR, ...write, outcome: 'error', detail: { error } }).catch(() => undefined);
      }
      throw await failure(err, connection);
    }
  }

  return { call, failure };
}
