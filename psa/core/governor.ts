/**
 * Client-side rate governor: keeps one connection's calls inside the vendor's budget
 * (N requests per rolling window, at most K in flight per endpoint) and honours Retry-After
 * by pausing every caller of that connection until the vendor's deadline.
 *
 * Callers `acquire()` a slot before each HTTP request and `release()` it after. Waiting is
 * FIFO so a burst drains in order instead of starving early callers. With a SharedBudget, a
 * request this process lets go is also admitted against the budget every process shares (and a
 * pause reaches them all); per-endpoint concurrency stays per process.
 *
 * A caller that can wait elsewhere (a workflow on a durable timer) asks on terms instead
 * (`BudgetTerms`): when the budget is spoken for further ahead than it wants to wait here, the
 * earliest place that keeps every window within the budget is reserved for it and it is told
 * when to come back (PsaBudgetDeferred). Places are handed out in order of asking, so a storm of
 * thousands drains at the budget's full rate without thousands of callers held in the process.
 * A background caller is refused (PsaBudgetBusy) while anyone else waits.
 */
import { randomUUID } from 'node:crypto';
import { observePsa } from './observer';
import { PsaBudgetBusy, PsaBudgetDeferred, type BudgetTerms } from './call-context';
import type { SharedAdmission, SharedBudget, TermsVerdict } from './shared-budget';

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
  /** A place in the window already held (a reservation): only the endpoint's concurrency is waited for. */
  held?: Slot;
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
  /** Places reserved for callers that come back later, by reservation id. */
  private readonly reservations = new Map<string, Slot>();

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
  async acquire(endpoint: string, signal?: AbortSignal, terms?: BudgetTerms): Promise<() => void> {
    const started = this.now();
    if (signal?.aborted) throw new GovernorWaitAborted(`gave up waiting for ${endpoint}`);
    if (terms && (terms.deferBeyondMs !== undefined || terms.reservation !== undefined || terms.background)) {
      return this.shared ? this.acquireSharedOnTerms(this.shared, endpoint, terms, started, signal) : this.acquireOnTerms(endpoint, terms, started, signal);
    }
    const slot = await this.enqueue(endpoint, started, signal);
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
    return this.granted(slot, endpoint, started, admission);
  }

  /** Waits in the FIFO queue for a slot on `endpoint` (with `held`, for the endpoint's concurrency only). */
  private enqueue(endpoint: string, started: number, signal?: AbortSignal, held?: Slot): Promise<Slot> {
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        endpoint,
        ...(held ? { held } : {}),
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
  }

  /** The request may go: counts the wait and hands out its release. */
  private granted(slot: Slot, endpoint: string, started: number, admission: SharedAdmission | null): () => void {
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

  /** Terms, this process's budget alone: reserve the next place; hold here for it or defer. */
  private async acquireOnTerms(endpoint: string, terms: BudgetTerms, started: number, signal?: AbortSignal): Promise<() => void> {
    const claimed = terms.reservation === undefined ? undefined : this.reservations.get(terms.reservation);
    if (terms.reservation !== undefined) this.reservations.delete(terms.reservation);
    terms.reservation = undefined;
    let place = claimed;
    if (!place) {
      if (terms.background) {
        if (!this.roomForBackground()) throw new PsaBudgetBusy(`a background request to ${endpoint}`);
        return this.granted(await this.enqueue(endpoint, started, signal), endpoint, started, null);
      }
      place = { until: this.nextStart() };
      this.slots.push(place);
      const aheadMs = place.until - this.now();
      if (terms.deferBeyondMs !== undefined && aheadMs > terms.deferBeyondMs) {
        const reservation = randomUUID();
        this.reservations.set(reservation, place);
        throw new PsaBudgetDeferred(aheadMs, reservation);
      }
    }
    try {
      await this.holdUntilSent(place, signal);
    } catch (err) {
      // The place stays in the window as if used: a request that gives up late never overspends it.
      this.stats.waitedMs += this.now() - started;
      throw err;
    }
    return this.granted(await this.enqueue(endpoint, started, signal, place), endpoint, started, null);
  }

  /**
   * Waits until a reserved place's time, and then until the requests actually sent in the last
   * window leave room (one sent late, after its own place, can still be in the window).
   */
  private async holdUntilSent(place: Slot, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw new GovernorWaitAborted('gave up waiting for a reserved place');
      const now = this.now();
      let waitMs = Math.max(now, this.pausedUntil) - now;
      if (place.until > now) waitMs = Math.max(waitMs, place.until - now);
      if (waitMs === 0) {
        const cutoff = now - this.limits.windowMs;
        const sent = this.slots.filter((s) => s !== place && (s.until === Infinity || (s.until > cutoff && s.until <= now))).map((s) => (s.until === Infinity ? now : s.until));
        if (sent.length < this.limits.maxRequests) return;
        sent.sort((a, b) => a - b);
        waitMs = Math.max(1, (sent[sent.length - this.limits.maxRequests] as number) + this.limits.windowMs + 1 - now);
      }
      await pause(waitMs, signal);
    }
  }

  /** A background request may take a slot now: nothing is queued, no place is reserved or unclaimed, and the window has room. */
  private roomForBackground(): boolean {
    this.prune();
    const now = this.now();
    return now >= this.pausedUntil && this.queue.length === 0 && this.reservations.size === 0 && this.slots.length < this.limits.maxRequests && !this.slots.some((s) => s.until !== Infinity && s.until > now);
  }

  /**
   * The earliest start for one more request, after every request in the window, every reserved
   * place and every caller in the queue: each request may start only once the request
   * `maxRequests` places before it has left the window.
   */
  private nextStart(): number {
    this.prune();
    const now = this.now();
    const { maxRequests, windowMs } = this.limits;
    const times = this.slots.map((s) => (s.until === Infinity ? now : s.until)).sort((a, b) => a - b);
    const after = (): number => Math.max(now, this.pausedUntil, times.length >= maxRequests ? (times[times.length - maxRequests] as number) + windowMs + 1 : now);
    for (const w of this.queue) {
      if (w.held) continue;
      const t = after();
      // Kept sorted: a queued request may start before places reserved further ahead.
      let at = times.length;
      while (at > 0 && (times[at - 1] as number) > t) at -= 1;
      times.splice(at, 0, t);
    }
    return after();
  }

  /** Terms, with a budget shared by every process: the shared budget reserves; this process holds or defers. */
  private async acquireSharedOnTerms(shared: SharedBudgetBinding, endpoint: string, terms: BudgetTerms, started: number, signal?: AbortSignal): Promise<() => void> {
    let reservation = terms.reservation;
    terms.reservation = undefined;
    for (;;) {
      if (signal?.aborted) throw new GovernorWaitAborted(`gave up waiting for ${endpoint}`);
      let verdict: TermsVerdict;
      try {
        verdict = await shared.budget.admitOnTerms(shared.key, this.limits, { ...(reservation ? { reservation } : {}), ...(terms.background ? { background: true } : {}) });
      } catch {
        // The shared budget cannot be asked: this process's own budget decides meanwhile.
        return this.acquireOnTerms(endpoint, terms, started, signal);
      }
      if ('done' in verdict) {
        // This process's slot, for its per-endpoint concurrency; the shared budget has counted the request.
        const place: Slot = { until: this.now() };
        this.slots.push(place);
        try {
          return this.granted(await this.enqueue(endpoint, started, signal, place), endpoint, started, verdict);
        } catch (err) {
          verdict.done();
          throw err;
        }
      }
      if ('busy' in verdict) throw new PsaBudgetBusy(`a background request to ${endpoint}`);
      if ('reservation' in verdict) {
        if (terms.deferBeyondMs !== undefined && verdict.reservedInMs > terms.deferBeyondMs) throw new PsaBudgetDeferred(verdict.reservedInMs, verdict.reservation);
        reservation = verdict.reservation;
        await pause(verdict.reservedInMs, signal);
        continue;
      }
      await pause(verdict.retryInMs + Math.floor(Math.random() * SHARED_RETRY_JITTER_MS), signal);
    }
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
    // A place nobody came back for has left the window: it can no longer be claimed.
    for (const [id, slot] of this.reservations) if (slot.until <= cutoff) this.reservations.delete(id);
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
    let isFull = full();
    const anyHeld = this.queue.some((w) => w.held);
    while (i < this.queue.length) {
      if (now < this.pausedUntil) break;
      if (isFull && !anyHeld) break;
      const waiter = this.queue[i] as Waiter;
      // A waiter holding a reserved place does not need room in the window; the others wait in order.
      if (!waiter.held && isFull) {
        i += 1;
        continue;
      }
      const busy = this.inFlight.get(waiter.endpoint) ?? 0;
      if (busy >= this.limits.maxConcurrentPerEndpoint) {
        i += 1; // a different endpoint further back may still go
        continue;
      }
      this.queue.splice(i, 1);
      this.inFlight.set(waiter.endpoint, busy + 1);
      const slot: Slot = waiter.held ?? { until: Infinity };
      slot.until = Infinity;
      if (!waiter.held) {
        this.slots.push(slot);
        isFull = full();
      }
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
