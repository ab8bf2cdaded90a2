/**
 * What a PSA call belongs to, carried implicitly through the adapters:
 *  - the abort signal of its work. An activity attempt that Temporal has given up on (timed out,
 *    cancelled) must not go on to write: its retry is already running and finds nothing yet, so a
 *    create the abandoned attempt sends late is a duplicate. The HTTP layer reads this signal: a
 *    call waiting for the governor leaves the queue, no new request is sent, and one in flight is
 *    aborted.
 *  - how it waits for the rate budget (`BudgetTerms`): a workflow that can wait on a durable
 *    timer asks not to be held in the process for long (it is told when to come back, with a
 *    reserved place), and a background read asks to be refused while others wait.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface BudgetTerms {
  /** Rather than wait longer than this in the process, reserve a later place and say when (PsaBudgetDeferred). */
  deferBeyondMs?: number;
  /** A place reserved by an earlier deferral: the next request uses it (once). */
  reservation?: string;
  /** Refused at once (PsaBudgetBusy) unless the budget has room now and nobody else is waiting. */
  background?: boolean;
}

interface CallContext {
  signal?: AbortSignal;
  budget?: BudgetTerms;
}

const current = new AsyncLocalStorage<CallContext>();

/** Runs `fn` with PSA calls made inside it bound to `signal` (no signal: unbound). */
export function withCallSignal<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return signal ? current.run({ ...current.getStore(), signal }, fn) : fn();
}

/** Runs `fn` with PSA calls made inside it waiting for the budget on `terms` (copied: a reservation is used once). */
export function withBudgetTerms<T>(terms: BudgetTerms | undefined, fn: () => Promise<T>): Promise<T> {
  return terms ? current.run({ ...current.getStore(), budget: { ...terms } }, fn) : fn();
}

/**
 * Runs `fn` with ordinary budget waits: for a request that serves every caller of the
 * connection (an OAuth token), which must not spend one caller's reservation or be deferred.
 */
export function withoutBudgetTerms<T>(fn: () => Promise<T>): Promise<T> {
  const store = current.getStore();
  return store?.budget ? current.run({ ...(store.signal ? { signal: store.signal } : {}) }, fn) : fn();
}

/** The signal PSA calls made here are bound to, if any. */
export function callSignal(): AbortSignal | undefined {
  return current.getStore()?.signal;
}

/** The budget terms of calls made here, if any (mutable: the HTTP layer spends a reservation). */
export function budgetTerms(): BudgetTerms | undefined {
  return current.getStore()?.budget;
}

/** A PSA call stopped because the work it belonged to was abandoned; nothing further was sent. */
export class PsaCallAbandoned extends Error {
  override readonly name = 'PsaCallAbandoned';
  constructor(what: string) {
    super(`${what} was not sent: the activity attempt it belonged to was abandoned`);
  }
}

/**
 * The budget is spoken for further ahead than the caller wants to wait in the process: a place
 * was reserved for it `retryInMs` from now; the caller comes back then with `reservation`.
 */
export class PsaBudgetDeferred extends Error {
  override readonly name = 'PsaBudgetDeferred';
  constructor(
    readonly retryInMs: number,
    readonly reservation: string,
  ) {
    super(`the PSA request budget is spoken for; a place is reserved in ${Math.ceil(retryInMs / 1000)} s`);
  }
}

/** A background request was refused because others wait for the budget or it is full; nothing was sent. */
export class PsaBudgetBusy extends Error {
  override readonly name = 'PsaBudgetBusy';
  constructor(what: string) {
    super(`${what} was not sent: the PSA request budget is needed for other work`);
  }
}
