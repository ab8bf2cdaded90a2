import { GovernorWaitAborted, RateGovernor } from '../../../psa/core/governor';
import { PsaBudgetBusy, PsaBudgetDeferred, type BudgetTerms } from '../../../psa/core/call-context';
import type { SharedBudget } from '../../../psa/core/shared-budget';

/** A clock the test moves by hand, so window arithmetic is exact. */
function manualClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('never issues more than maxRequests inside one window', async () => {
  const clock = manualClock();
  const g = new RateGovernor({ maxRequests: 5, windowMs: 60_000, maxConcurrentPerEndpoint: 100 }, clock.now);
  const granted: number[] = [];
  const waits = Array.from({ length: 8 }, (_, i) => g.acquire('tickets').then((release) => { granted.push(i); release(); }));
  await new Promise((r) => setImmediate(r));
  expect(granted).toEqual([0, 1, 2, 3, 4]);
  clock.advance(60_001);
  // The governor's own timer fires in real time; nudge it by acquiring on another endpoint.
  const extra = g.acquire('companies');
  await new Promise((r) => setTimeout(r, 10));
  expect(granted).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  (await extra)();
  await Promise.all(waits);
  expect(g.snapshot().issued).toBe(9);
});

test('limits concurrency per endpoint but lets other endpoints through', async () => {
  const g = new RateGovernor({ maxRequests: 100, windowMs: 1000, maxConcurrentPerEndpoint: 2 });
  const a1 = await g.acquire('Tickets');
  const a2 = await g.acquire('Tickets');
  let third = false;
  const a3 = g.acquire('Tickets').then((r) => { third = true; return r; });
  const other = await g.acquire('Companies');
  await new Promise((r) => setImmediate(r));
  expect(third).toBe(false);
  a1();
  (await a3)();
  expect(third).toBe(true);
  a2();
  other();
});

test('pauseFor holds every caller until the vendor deadline', async () => {
  const g = new RateGovernor({ maxRequests: 100, windowMs: 1000, maxConcurrentPerEndpoint: 10 });
  g.pauseFor(150);
  const started = Date.now();
  (await g.acquire('x'))();
  expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  expect(g.snapshot().pauses).toBe(1);
});

test('rejects nonsensical limits', () => {
  expect(() => new RateGovernor({ maxRequests: 0, windowMs: 1, maxConcurrentPerEndpoint: 1 })).toThrow(RangeError);
});

test('a full window is swept before it refuses, though the periodic sweep is not due', async () => {
  const clock = manualClock();
  const g = new RateGovernor({ maxRequests: 3, windowMs: 10_000, maxConcurrentPerEndpoint: 100 }, clock.now);
  for (let i = 0; i < 3; i += 1) (await g.acquire('tickets'))();
  // The three completed requests leave the window; the next sweep would be due only after 1 s,
  // yet the fourth request goes straight through instead of waiting for a timer.
  clock.advance(10_001);
  let granted = false;
  const fourth = g.acquire('tickets').then((release) => { granted = true; release(); });
  await new Promise((r) => setImmediate(r));
  expect(granted).toBe(true);
  await fourth;
  expect(g.snapshot().inWindow).toBe(1);
});

test('keeps refusing while the window is genuinely full', async () => {
  const clock = manualClock();
  const g = new RateGovernor({ maxRequests: 2, windowMs: 10_000, maxConcurrentPerEndpoint: 100 }, clock.now);
  for (let i = 0; i < 2; i += 1) (await g.acquire('tickets'))();
  clock.advance(5_000);
  let granted = false;
  void g.acquire('tickets').then((release) => { granted = true; release(); });
  await new Promise((r) => setTimeout(r, 20));
  expect(granted).toBe(false);
  expect(g.snapshot().inWindow).toBe(2);
});

test('an aborted waiter leaves the queue without using a slot; the next one gets it', async () => {
  const g = new RateGovernor({ maxRequests: 100, windowMs: 1000, maxConcurrentPerEndpoint: 1 });
  const first = await g.acquire('tickets');
  const abort = new AbortController();
  const abandoned = g.acquire('tickets', abort.signal);
  let nextGranted = false;
  const next = g.acquire('tickets').then((r) => { nextGranted = true; return r; });
  abort.abort();
  await expect(abandoned).rejects.toThrow(GovernorWaitAborted);
  first();
  (await next)();
  expect(nextGranted).toBe(true);
  expect(g.snapshot().issued).toBe(2);
  await expect(g.acquire('tickets', abort.signal)).rejects.toThrow(GovernorWaitAborted);
  expect(g.snapshot().issued).toBe(2);
});

describe('with a budget shared beyond this process', () => {
  /** A shared budget that refuses the first `refusals` asks, then admits; records what it was told. */
  function fakeShared(refusals: number) {
    const seen = { asks: 0, done: 0, pauses: [] as [string, number][], refusals };
    const budget: SharedBudget = {
      admit: async () => {
        seen.asks += 1;
        if (seen.asks <= seen.refusals) return { retryInMs: 30 };
        return { done: () => void (seen.done += 1) };
      },
      admitOnTerms: async () => ({ done: () => void (seen.done += 1) }),
      pause: (key, ms) => void seen.pauses.push([key, ms]),
    };
    return { budget, seen };
  }

  test('a locally free request still waits until the shared budget admits it, and reports its completion', async () => {
    const { budget, seen } = fakeShared(2);
    const g = new RateGovernor({ maxRequests: 100, windowMs: 1000, maxConcurrentPerEndpoint: 5 }, Date.now, { budget, key: 'c1:halopsa' });
    const started = Date.now();
    const release = await g.acquire('tickets');
    expect(seen.asks).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
    expect(seen.done).toBe(0);
    release();
    release();
    expect(seen.done).toBe(1);
  });

  test('a caller that gives up while the shared budget is full frees its local slot', async () => {
    const { budget, seen } = fakeShared(1_000);
    const g = new RateGovernor({ maxRequests: 100, windowMs: 1000, maxConcurrentPerEndpoint: 1 }, Date.now, { budget, key: 'c1:halopsa' });
    const abort = new AbortController();
    const waiting = g.acquire('tickets', abort.signal);
    await new Promise((r) => setTimeout(r, 40));
    abort.abort();
    await expect(waiting).rejects.toThrow(GovernorWaitAborted);
    // The only slot on `tickets` is free again: once the shared budget has room, the next caller goes.
    seen.refusals = 0;
    const next = await Promise.race([g.acquire('tickets'), new Promise<null>((r) => setTimeout(() => r(null), 500))]);
    expect(next).not.toBeNull();
    next?.();
  });

  test('a Retry-After pause reaches the shared budget under the connection key', () => {
    const { budget, seen } = fakeShared(0);
    const g = new RateGovernor({ maxRequests: 100, windowMs: 1000, maxConcurrentPerEndpoint: 1 }, Date.now, { budget, key: 'c1:halopsa' });
    g.pauseFor(1_500);
    expect(seen.pauses).toEqual([['c1:halopsa', 1_500]]);
  });
});

describe('asking on terms (a caller that can wait on a durable timer)', () => {
  const limits = { maxRequests: 3, windowMs: 10_000, maxConcurrentPerEndpoint: 100 };

  /** Asks once; the release, or the deferral it was told. */
  async function ask(g: RateGovernor, terms: BudgetTerms) {
    try {
      const release = await g.acquire('tickets', undefined, terms);
      release();
      return 'sent' as const;
    } catch (err) {
      if (err instanceof PsaBudgetDeferred) return err;
      throw err;
    }
  }

  /** A full window, one caller deferred past it, and the clock moved to that caller's place. */
  async function oneDeferredAndDue() {
    const clock = manualClock();
    const g = new RateGovernor(limits, clock.now);
    for (let i = 0; i < 3; i += 1) await ask(g, { deferBeyondMs: 1_000 });
    const d = (await ask(g, { deferBeyondMs: 1_000 })) as PsaBudgetDeferred;
    clock.advance(d.retryInMs);
    return { g, d };
  }

  test('past the window each caller gets its own place, in order, one window per budget-full', async () => {
    const clock = manualClock();
    const g = new RateGovernor(limits, clock.now);
    const answers = [];
    for (let i = 0; i < 8; i += 1) answers.push(await ask(g, { deferBeyondMs: 1_000 }));
    expect(answers.slice(0, 3)).toEqual(['sent', 'sent', 'sent']);
    const deferred = answers.slice(3) as PsaBudgetDeferred[];
    expect(deferred.every((d) => d instanceof PsaBudgetDeferred)).toBe(true);
    expect(deferred.map((d) => d.retryInMs)).toEqual([10_001, 10_001, 10_001, 20_002, 20_002]);
    expect(new Set(deferred.map((d) => d.reservation)).size).toBe(5);
    expect(g.snapshot().issued).toBe(3);
  });

  test('a reserved place is claimed at its time, while a newcomer then waits behind every place', async () => {
    const { g, d } = await oneDeferredAndDue();
    expect(await ask(g, { deferBeyondMs: 1_000, reservation: d.reservation })).toBe('sent');
    // Two places are left in this window; a third newcomer is deferred a whole window.
    expect(await ask(g, { deferBeyondMs: 1_000 })).toBe('sent');
    expect(await ask(g, { deferBeyondMs: 1_000 })).toBe('sent');
    const late = (await ask(g, { deferBeyondMs: 1_000 })) as PsaBudgetDeferred;
    expect(late.retryInMs).toBe(10_001);
    expect(g.snapshot().issued).toBe(6);
  });

  test('a reservation is used once: asked again with it, the caller gets a new place', async () => {
    const { g, d } = await oneDeferredAndDue();
    expect(await ask(g, { deferBeyondMs: 1_000, reservation: d.reservation })).toBe('sent');
    expect(await ask(g, { deferBeyondMs: 1_000, reservation: d.reservation })).toBe('sent');
    expect(await ask(g, { deferBeyondMs: 1_000, reservation: 'not-a-place' })).toBe('sent');
    expect(await ask(g, { deferBeyondMs: 1_000, reservation: d.reservation })).toBeInstanceOf(PsaBudgetDeferred);
  });

  test('a place within the caller\'s patience is waited for in the process, not deferred', async () => {
    const g = new RateGovernor({ maxRequests: 2, windowMs: 150, maxConcurrentPerEndpoint: 100 });
    await ask(g, { deferBeyondMs: 5_000 });
    await ask(g, { deferBeyondMs: 5_000 });
    const started = Date.now();
    expect(await ask(g, { deferBeyondMs: 5_000 })).toBe('sent');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  test('a background request is refused while places are reserved or the window is full, and goes when all is quiet', async () => {
    const clock = manualClock();
    const g = new RateGovernor(limits, clock.now);
    expect(await ask(g, { background: true })).toBe('sent');
    await ask(g, { deferBeyondMs: 1_000 });
    await ask(g, { deferBeyondMs: 1_000 });
    await expect(g.acquire('tickets', undefined, { background: true })).rejects.toBeInstanceOf(PsaBudgetBusy);
    const d = (await ask(g, { deferBeyondMs: 1_000 })) as PsaBudgetDeferred;
    clock.advance(10_001);
    // The window has room again, but a place is still reserved: background waits its turn.
    await expect(g.acquire('tickets', undefined, { background: true })).rejects.toBeInstanceOf(PsaBudgetBusy);
    expect(await ask(g, { reservation: d.reservation, deferBeyondMs: 1_000 })).toBe('sent');
    expect(await ask(g, { background: true })).toBe('sent');
  });

  test('an ordinary caller never takes a place reserved for someone else', async () => {
    const clock = manualClock();
    const g = new RateGovernor(limits, clock.now);
    for (let i = 0; i < 3; i += 1) await ask(g, { deferBeyondMs: 1_000 });
    const deferred = [];
    for (let i = 0; i < 3; i += 1) deferred.push((await ask(g, { deferBeyondMs: 1_000 })) as PsaBudgetDeferred);
    clock.advance(10_001);
    let ordinary = false;
    void g.acquire('tickets').then((release) => {
      ordinary = true;
      release();
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(ordinary).toBe(false);
    for (const d of deferred) expect(await ask(g, { reservation: d.reservation })).toBe('sent');
  });
});

test('asking on terms while the shared budget cannot be asked: this process\'s own budget reserves and defers', async () => {
  const clock = manualClock();
  const budget: SharedBudget = {
    admit: async () => ({ done: () => undefined }),
    admitOnTerms: async () => {
      throw new Error('connection refused');
    },
    pause: () => undefined,
  };
  const g = new RateGovernor({ maxRequests: 2, windowMs: 10_000, maxConcurrentPerEndpoint: 10 }, clock.now, { budget, key: 'c1:halopsa' });
  (await g.acquire('tickets', undefined, { deferBeyondMs: 1_000 }))();
  (await g.acquire('tickets', undefined, { deferBeyondMs: 1_000 }))();
  await expect(g.acquire('tickets', undefined, { deferBeyondMs: 1_000 })).rejects.toBeInstanceOf(PsaBudgetDeferred);
});
