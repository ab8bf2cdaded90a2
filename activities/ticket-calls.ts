/**
 * How a ticket activity calls the PSA. A write that fails leaves an audit row with the vendor's
 * answer. The failure then leaves the activity typed: throttling becomes a Temporal retry after
 * the vendor's Retry-After, permanent refusals become non-retryable failures (the workflow records
 * them), and an auth failure marks the connection Unhealthy (connection-health.ts), so no further
 * PSA call is made until the partner re-enters credentials. The failure `type` is the class name.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { PsaBudgetBusy, PsaBudgetDeferred, PsaCallAbandoned, withBudgetTerms, withCallSignal } from '../psa/core/call-context';
import { isPsaError, PsaAuthError, PsaRateLimitedError } from '../psa/core/errors';
import { writeAudit } from '../db/repositories/audit';
import { connectionRefused, type HealthDeps, type RefusedConnection } from './connection-health';
import { BUDGET_BUSY, BUDGET_DEFERRED, type BudgetDeferral, type TicketBudget } from '../workflows/ticket-messages';

/** Who the audit log names for ticket work. */
export const TICKET_ACTOR = 'psa-sync:tickets';

/** The audit row a failed write leaves: which action, on which ticket. */
export interface AuditedWrite {
  action: string;
  target: string;
}

/**
 * The longest a ticket call waits for the budget in the worker. Longer, and it is told when to
 * come back (PsaBudgetDeferred, with a reserved place) and the workflow waits on a timer: a
 * local activity held for minutes would keep its workflow task busy with heartbeats.
 */
export const TICKET_BUDGET_HOLD_MS = 4_000;

/** Runs `fn` with its PSA calls waiting for the budget on the workflow's terms. */
export function onBudgetTerms<T>(budget: TicketBudget | undefined, fn: () => Promise<T>): Promise<T> {
  if (!budget) return fn();
  return withBudgetTerms(
    { deferBeyondMs: TICKET_BUDGET_HOLD_MS, ...(budget.reservation ? { reservation: budget.reservation } : {}), ...(budget.background ? { background: true } : {}) },
    fn,
  );
}

/** The call was turned away by the budget before anything was sent (as thrown, or as its activity failure). */
export function unsentForBudget(err: unknown): boolean {
  if (err instanceof PsaBudgetDeferred || err instanceof PsaBudgetBusy) return true;
  return err instanceof ApplicationFailure && (err.type === BUDGET_DEFERRED || err.type === BUDGET_BUSY);
}

/** The running activity attempt's cancellation signal (none outside an activity). */
function attemptSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

export function ticketCalls(deps: HealthDeps) {
  /** A PSA failure as it leaves the activity (other errors unchanged). */
  async function failure(err: unknown, connection: RefusedConnection): Promise<unknown> {
    // Nothing was sent; the workflow waits on a timer (deferred) or skips this poll (busy).
    if (err instanceof PsaBudgetDeferred) {
      const details: BudgetDeferral = { retryInMs: err.retryInMs, reservation: err.reservation };
      return ApplicationFailure.create({ type: BUDGET_DEFERRED, message: err.message, nonRetryable: true, details: [details] });
    }
    if (err instanceof PsaBudgetBusy) return ApplicationFailure.create({ type: BUDGET_BUSY, message: err.message, nonRetryable: true });
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
      // An abandoned attempt wrote nothing and nobody waits for its answer; a budget refusal sent nothing: no audit row.
      if (write && !(err instanceof PsaCallAbandoned) && !unsentForBudget(err)) {
        const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        await writeAudit(deps.db, { partnerId: connection.partnerId, connectionId: connection.id, actor: TICKET_ACTOR, ...write, outcome: 'error', detail: { error } }).catch(() => undefined);
      }
      throw await failure(err, connection);
    }
  }

  return { call, failure };
}
