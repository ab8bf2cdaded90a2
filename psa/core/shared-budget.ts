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

export interface SharedBudget {
  /**
   * Admits one request against `key`, or says how long until one may be admitted (the window
   * is full, or the vendor asked every caller to pause).
   */
  admit(key: string, window: { maxRequests: number; windowMs: number }): Promise<SharedAdmission | { retryInMs: number }>;
  /** The vendor said "not before now + ms" for `key`. Never throws. */
  pause(key: string, ms: number): void;
}
