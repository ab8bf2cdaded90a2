/**
 * What the HTTP layer and the rate governor report about PSA calls, for metrics: each request's
 * answer, each 429, each wait for a governor slot. The vendor and the adapter operation a call
 * belongs to travel implicitly (infra/psa-adapters.ts runs every adapter method inside
 * `withPsaOperation`), so adapters need not pass them down. One observer per process; none
 * installed costs a function call per request.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface PsaOperation {
  vendor: string;
  /** The adapter method (createTicket, addTicketNote …). */
  operation: string;
}

export interface PsaCallObservation extends PsaOperation {
  /** HTTP status, or 'error' when no answer came (refused, reset, timed out). */
  status: number | 'error';
  ms: number;
}

export interface PsaObserver {
  call(observation: PsaCallObservation): void;
  /** The PSA answered 429: how long it asked us to wait. */
  rateLimited(operation: PsaOperation, retryAfterMs: number): void;
  /** A call waited this long for its governor slot (0 when one was free). */
  governorWait(operation: PsaOperation, ms: number): void;
}

const current = new AsyncLocalStorage<PsaOperation>();
let observer: PsaObserver | null = null;

/** Calls made outside an adapter method (site checks, tests using a client directly). */
const UNATTRIBUTED: PsaOperation = Object.freeze({ vendor: 'unknown', operation: 'unknown' });

/** Installs the process's observer (null removes it); returns the one it replaced. */
export function setPsaObserver(next: PsaObserver | null): PsaObserver | null {
  const previous = observer;
  observer = next;
  return previous;
}

/** Runs `fn` with the PSA calls inside it attributed to `operation`. */
export function withPsaOperation<T>(operation: PsaOperation, fn: () => T): T {
  return current.run(operation, fn);
}

export function currentPsaOperation(): PsaOperation {
  return current.getStore() ?? UNATTRIBUTED;
}

/**
 * Reports to the observer, never throwing into the call: a metrics fault must not fail a PSA write.
 */
export function observePsa(report: (o: PsaObserver, operation: PsaOperation) => void): void {
  if (!observer) return;
  try {
    report(observer, currentPsaOperation());
  } catch {
    // metrics are best effort
  }
}
