/**
 * Client-side rate governor: keeps one connection's calls inside the vendor's budget
 * (N requests per rolling window, at most K in flight per endpoint) and honours Retry-After
 * by pausing every caller of that connection until the vendor's deadline.
 *
 * Callers `acquire()` a slot before each HTTP request and `release()` it after. Waiting is
 * FIFO so a burst drains in order instead of starving early callers. With a SharedBudget, a
 * request this process lets go is also admitted against the budget every process shares (and a
 * pause reaches them all); per-endpoint concurrency stays per process.
 */
import { observePsa } from './observer';
import type { SharedAdmission, SharedBudget } from './shared-budget';

export interface GovernorLimits {
  /** Requests allowed per rolling window. */
  maxRequests: number;
  windowMs: number;
  /** Requests in flight at once per endpoint key. */
  maxConcurrentPerEndpoint: number;
}

export interface GovernorStats {
  issued: number;
  waitedMs: number;
  pauses: number;
}

/** How often a window that is not full is swept of expired slots. */
const PRUNE_EVERY_MS = 1_000;

interface Slot {
  until: number;
}

interface Waiter {
  endpoint: string;
  resolve: (slot: Slot) => void;
}

/** The budget this governor's connection shares with other processes, under `key`. */
export interface SharedBudgetBinding {
  budget: SharedBudget;
  key: string;
}

/** Up to this much is added to a shared budget's "retry in", so waiting processes do not all ask at once. */
const SHARED_RETRY_JITTER_MS = 25;

export /** Waits `ms`; an aborted signal ends the wait early. */
const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** Why a waiting `acquire` gave up: its caller's signal was aborted. */
export class GovernorWaitAborted extends Error {
  override readonly name = 'GovernorWaitAborted';
}

export class RateGovernor {
  readonly limits: GovernorLimits;
  /**
   * One entry per request in the window: Infinity while in flight, then its completion time.
   * Counting a request until it has completed (not from when it was sent) means connection setup
   * or network jitter can never make requests arrive at the vendor closer together than the
   * budget allows.
   */
  private readonly slots: Slot[] = [];
  private readonly inFlight = new Map<string, number>();
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private prunedAt = 0;
  private readonly stats: GovernorStats = { issued: 0, waitedMs: 0, pauses: 0 };

  constructor(
    limits: GovernorLimits,
    private readonly now: () => number = Date.now,
    readonly shared: SharedBudgetBinding | null = null,
  ) {
    if (limits.maxRequests < 1 || limits.windowMs < 1 || limits.maxConcurrentPerEndpoint < 1) {
      throw new RangeError('governor limits must be positive');
    }
    this.limits = { ...limits };
  }

  /**
   * Waits for a slot on `endpoint`; resolves with a release function. An aborted `signal` takes
   * the caller out of the queue (rejecting with GovernorWaitAborted) without using a slot.
   */
  async acquire(endpoint: string, signal?: AbortSignal): Promise<() => void> {
    const started = this.now();
    if (signal?.aborted) throw new GovernorWaitAborted(`gave up waiting for ${endpoint}`);
    const slot = await new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        endpoint,
        resolve: (granted) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(granted);
        },
      };
      const onAbort = () => {
        const at = this.queue.indexOf(waiter);
        if (at < 0) return; // already granted
        this.queue.splice(at, 1);
        this.stats.waitedMs += this.now() - started;
        reject(new GovernorWaitAborted(`gave up waiting for ${endpoint}`));
        this.drain();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.drain();
    });
    let admission: SharedAdmission | null = null;
    if (this.shared) {
      try {
        admission = await this.admitShared(this.shared, endpoint, signal);
      } catch (err) {
        this.stats.waitedMs += this.now() - started;
        this.free(slot, endpoint);
        throw err;
      }
    }
    const waited = this.now() - started;
    this.stats.waitedMs += waited;
    observePsa((o, op) => o.governorWait(op, waited));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      admission?.done();
      this.free(slot, endpoint);
    };
  }

  /** Asks the shared budget until it admits the request (holding this process's slot meanwhile). */
  private async admitShared(shared: SharedBudgetBinding, endpoint: string, signal?: AbortSignal): Promise<SharedAdmission> {
    for (;;) {
      if (signal?.aborted) throw new GovernorWaitAborted(`gave up waiting for ${endpoint}`);
      const verdict = await shared.budget.admit(shared.key, this.limits);
      if ('done' in verdict) return verdict;
      await pause(verdict.retryInMs + Math.floor(Math.random() * SHARED_RETRY_JITTER_MS), signal);
    }
  }

  private free(slot: Slot, endpoint: string): void {
    slot.until = this.now();
    this.inFlight.set(endpoint, (this.inFlight.get(endpoint) ?? 1) - 1);
    this.drain();
  }


  /** The vendor said "not before": hold every caller of this connection (in every process sharing its budget) until then. */
  pauseFor(ms: number): void {
    this.shared?.budget.pause(this.shared.key, ms);
    const until = this.now() + Math.max(0, ms);
    if (until > this.pausedUntil) {
      this.pausedUntil = until;
      this.stats.pauses += 1;
    }
    this.drain();
  }

  snapshot(): GovernorStats & { inWindow: number } {
    this.prune();
    return { ...this.stats, inWindow: this.slots.length };
  }

  /** Drops the slots that have left the window (one pass, in place). */
  private prune(): void {
    const now = this.now();
    const cutoff = now - this.limits.windowMs;
    let kept = 0;
    for (const slot of this.slots) if (slot.until > cutoff) this.slots[kept++] = slot;
    this.slots.length = kept;
    this.prunedAt = now;
  }

  private drain(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // The window needs an exact count only when it looks full; otherwise a sweep now and then
    // keeps memory bounded without a pass over the whole window on every request.
    if (this.now() - this.prunedAt >= PRUNE_EVERY_MS) this.prune();
    const full = () => this.slots.length >= this.limits.maxRequests && (this.prune(), this.slots.length >= this.limits.maxRequests);
    const now = this.now();
    let i = 0;
    while (i < this.queue.length) {
      if (now < this.pausedUntil) break;
      if (full()) break;
      const waiter = this.queue[i] as Waiter;
      const busy = this.inFlight.get(waiter.endpoint) ?? 0;
      if (busy >= this.limits.maxConcurrentPerEndpoint) {
        i += 1; // a different endpoint further back may still go
        continue;
      }
      this.queue.splice(i, 1);
      this.inFlight.set(waiter.endpoint, busy + 1);
      const slot: Slot = { until: Infinity };
      this.slots.push(slot);
      this.stats.issued += 1;
      waiter.resolve(slot);
    }
    if (this.queue.length === 0) return;
    // Wake up when the pause ends or the oldest request leaves the window; releases wake us too.
    let wakeAt = Infinity;
    if (now < this.pausedUntil) wakeAt = this.pausedUntil;
    else if (this.slots.length >= this.limits.maxRequests) {
      const oldest = Math.min(...this.slots.map((x) => x.until));
      // Every slot still in flight: its release will drain again.
      if (oldest !== Infinity) wakeAt = oldest + this.limits.windowMs + 1;
    }
    if (wakeAt !== Infinity) {
      this.timer = setTimeout(() => this.drain(), Math.max(1, wakeAt - now));
      this.timer.unref?.();
    }
  }
}
