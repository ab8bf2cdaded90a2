/**
 * PSA request budgets shared by every worker on one database (db/repositories/psa-budget.ts),
 * for psa/core's governors. When PostgreSQL does not answer, requests go on under each
 * process's own governor (and the vendor's 429s) rather than stopping every PSA call: the
 * database being down stops far more than this budget anyway.
 */
import type { Db } from '../db/connect';
import { admitPsaRequest, admitPsaRequestOnTerms, completePsaRequest, pausePsaBudget } from '../db/repositories/psa-budget';
import type { SharedAdmission, SharedBudget } from '../psa/core/shared-budget';
import type { Logger } from '../activities/deps';

/** At most one "unreachable" warning per this long, however many requests hit it. */
const WARN_EVERY_MS = 60_000;

export function postgresPsaBudget(db: Db, log: Logger): SharedBudget {
  let warnedAt = 0;
  const warn = (what: string, err: unknown) => {
    if (Date.now() - warnedAt < WARN_EVERY_MS) return;
    warnedAt = Date.now();
    log.warn(`shared PSA budget: ${what} failed; each process keeps its own budget meanwhile`, { error: err instanceof Error ? err.message : String(err) });
  };
  const unshared: SharedAdmission = { done: () => undefined };
  return {
    async admit(key, window) {
      try {
        const verdict = await admitPsaRequest(db, key, window);
        if (!verdict.admitted) return { retryInMs: verdict.retryInMs };
        return { done: () => void completePsaRequest(db, verdict.requestId).catch((err: unknown) => warn('recording a completed request', err)) };
      } catch (err) {
        warn('admitting a request', err);
        return unshared;
      }
    },
    async admitOnTerms(key, window, terms) {
      try {
        const verdict = await admitPsaRequestOnTerms(db, key, window, terms);
        if (verdict.admitted) return { done: () => void completePsaRequest(db, verdict.requestId).catch((err: unknown) => warn('recording a completed request', err)) };
        return verdict;
      } catch (err) {
        // Thrown on: the governor then reserves within its own process (it keeps no window for shared admissions).
        warn('admitting a request', err);
        throw err;
      }
    },
    pause(key, ms) {
      pausePsaBudget(db, key, ms).catch((err: unknown) => warn('recording a pause', err));
    },
  };
}
