/**
 * Client-side rate governor: keeps one connection's calls inside the vendor's budget
 * (N requests per rolling window, at most K in flight per endpoint) and honours Retry-After
 * by pausing every caller of that connection until the vendor's deadline.
 *
 * Callers `acquire()` a slot before each HTTP request and `release()` it after. Waiting is
 * FIFO so a burst drains in order instead of starving early callers.
 */
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

interface Waiter {
  endpoint: string;
  resolve: () => void;
}

export class RateGovernor {
  readonly limits: GovernorLimits;
  private readonly sent: number[] = [];
  private readonly inFlight = new Map<string, number>();
  private readonly queue: Waiter[] = [];
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly stats: GovernorStats = { issued: 0, waitedMs: 0, pauses: 0 };

  constructor(limits: GovernorLimits, private readonly now: () => number = Date.now) {
    if (limits.maxRequests < 1 || limits.windowMs < 1 || limits.maxConcurrentPerEndpoint < 1) {
      throw new RangeError('governor limits must be positive');
    }
    this.limits = { ...limits };
  }

  /** Waits for a slot on `endpoint`; resolves with a release function. */
  async acquire(endpoint: string): Promise<() => void> {
    const started = this.now();
    await new Promise<void>((resolve) => {
      this.queue.push({ endpoint, resolve });
      this.drain();
    });
    this.stats.waitedMs += this.now() - started;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight.set(endpoint, (this.inFlight.get(endpoint) ?? 1) - 1);
      this.drain();
    };
  }

  /** The vendor said "not before": hold every caller of this connection until then. */
  pauseFor(ms: number): void {
    const until = this.now() + Math.max(0, ms);
    if (until > this.pausedUntil) {
      this.pausedUntil = until;
      this.stats.pauses += 1;
    }
    this.drain();
  }

  snapshot(): GovernorStats & { inWindow: number } {
    this.prune();
    return { ...this.stats, inWindow: this.sent.length };
  }

  private prune(): void {
    const cutoff = this.now() - this.limits.windowMs;
    while (this.sent.length > 0 && (this.sent[0] as number) <= cutoff) this.sent.shift();
  }

  private drain(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.prune();
    const now = this.now();
    let i = 0;
    while (i < this.queue.length) {
      if (now < this.pausedUntil) break;
      if (this.sent.length >= this.limits.maxRequests) break;
      const waiter = this.queue[i] as Waiter;
      const busy = this.inFlight.get(waiter.endpoint) ?? 0;
      if (busy >= this.limits.maxConcurrentPerEndpoint) {
        i += 1; // a different endpoint further back may still go
        continue;
      }
      this.queue.splice(i, 1);
      this.inFlight.set(waiter.endpoint, busy + 1);
      this.sent.push(now);
      this.stats.issued += 1;
      waiter.resolve();
    }
    if (this.queue.length === 0) return;
    // Wake up when the pause ends or the oldest request leaves the window; releases wake us too.
    let wakeAt = Infinity;
    if (now < this.pausedUntil) wakeAt = this.pausedUntil;
    else if (this.sent.length >= this.limits.maxRequests) wakeAt = (this.sent[0] as number) + this.limits.windowMs + 1;
    if (wakeAt !== Infinity) {
      this.timer = setTimeout(() => this.drain(), Math.max(1, wakeAt - now));
      this.timer.unref?.();
    }
  }
}
