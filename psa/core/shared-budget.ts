/**
 * A connection's request budget shared beyond this process. Each worker process has its own
 * RateGovernor per connection; with several workers, each would spend the vendor's whole budget.
 * A SharedBudget (PostgreSQL in workers and the API, infra/psa-budget.ts) is asked once per request after
 * the local governor has let it go, and holds Retry-After pauses for every process.
 */
export interface SharedAdmission {
  /** The request has completed (it counts in the window from then on). Never throws. */
  done(): void;
}

export interface BudgetWindow {
  maxRequests: number;
  windowMs: number;
}

/**
 * What a request asking on terms (call-context.ts `BudgetTerms`) is told:
 *  - admitted now;
 *  - `retryInMs`: ask again then (its reservation, if it has one, is still held for it);
 *  - `reservedInMs`: a place `reservation` is held for it that far ahead;
 *  - `busy`: a background request that must not take the budget now.
 */
export type TermsVerdict = SharedAdmission | { retryInMs: number } | { reservedInMs: number; reservation: string } | { busy: true };

export interface SharedBudget {
  /**
   * Admits one request against `key`, or says how long until one may be admitted (the window
   * is full, or the vendor asked every caller to pause).
   */
  admit(key: string, window: BudgetWindow): Promise<SharedAdmission | { retryInMs: number }>;
  /**
   * Admits a request now, or reserves the earliest place that keeps every window within the
   * budget; with a `reservation` it claims that place once its time has come. Throws when the
   * shared budget cannot be asked (the governor then decides within its own process).
   */
  admitOnTerms(key: string, window: BudgetWindow, terms: { reservation?: string; background?: boolean }): Promise<TermsVerdict>;
  /** The vendor said "not before now + ms" for `key`. Never throws. */
  pause(key: string, ms: number): void;
}
