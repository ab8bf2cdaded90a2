/**
 * The PSA budget shared by worker processes, on real PostgreSQL: two independent pools (as two
 * processes have) racing for one window never exceed it together, a pause recorded by one holds
 * the other, expired rows are pruned, and two governors over one database together keep a budget
 * each of them alone would spend in one window.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect';
import { admitPsaRequest, admitPsaRequestOnTerms, completePsaRequest, pausePsaBudget, psaBudgetPausedUntil, psaLedgerRows, psaRequestsInWindow, type BudgetWindow } from '../../db/repositories/psa-budget';
import { RateGovernor } from '../../psa/core/governor';
import { PsaBudgetBusy, PsaBudgetDeferred } from '../../psa/core/call-context';
import { postgresPsaBudget } from '../../infra/psa-budget';
import { memoryLogger, testDb } from '../helpers/env';

let processA: Db;
let processB: Db;

beforeAll(() => {
  processA = testDb();
  processB = testDb();
});
afterAll(async () => {
  await processA.destroy();
  await processB.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks until admitted, as the governor does; returns the database time of the admission. */
async function admitted(db: Db, key: string, window: BudgetWindow): Promise<number> {
  for (;;) {
    const verdict = await admitPsaRequest(db, key, window);
    if (verdict.admitted) {
      await completePsaRequest(db, verdict.requestId);
      return verdict.at.getTime();
    }
    expect(verdict.retryInMs).toBeGreaterThan(0);
    expect(verdict.retryInMs).toBeLessThanOrEqual(window.windowMs + 1);
    await sleep(verdict.retryInMs);
  }
}

/** The most admissions inside any one window (each admission's window ends at it). */
function mostInOneWindow(times: number[], windowMs: number): number {
  return Math.max(...times.map((t) => times.filter((u) => u <= t && u > t - windowMs).length));
}

test('two processes racing for one window never admit more than its limit together', async () => {
  const key = `conn-${randomUUID()}:halopsa`;
  const window = { maxRequests: 5, windowMs: 800 };
  // 10 callers per process at once: 20 requests need at least 3 windows after the first.
  const callers = [processA, processB].flatMap((db) => Array.from({ length: 10 }, () => admitted(db, key, window)));
  const times = (await Promise.all(callers)).sort((a, b) => a - b);
  expect(times).toHaveLength(20);
  expect(mostInOneWindow(times, window.windowMs)).toBe(5);
  expect((times[19] as number) - (times[0] as number)).toBeGreaterThanOrEqual(3 * window.windowMs);
});

test('a pause recorded by one process holds the other until it ends; a shorter one does not shorten it', async () => {
  const key = `conn-${randomUUID()}:halopsa`;
  const window = { maxRequests: 100, windowMs: 60_000 };
  await pausePsaBudget(processA, key, 500);
  await pausePsaBudget(processA, key, 50);
  const refused = await admitPsaRequest(processB, key, window);
  expect(refused.admitted).toBe(false);
  if (refused.admitted) return;
  expect(refused.retryInMs).toBeGreaterThan(350);
  expect(refused.retryInMs).toBeLessThanOrEqual(500);
  await sleep(refused.retryInMs);
  expect((await admitPsaRequest(processB, key, window)).admitted).toBe(true);
});

test('rows that left the window are pruned when the key is next used', async () => {
  const key = `conn-${randomUUID()}:halopsa`;
  const window = { maxRequests: 10, windowMs: 300 };
  for (let i = 0; i < 4; i += 1) await admitted(processA, key, window);
  expect(await psaLedgerRows(processA, key)).toBe(4);
  await sleep(window.windowMs + 50);
  expect(await psaRequestsInWindow(processA, key, window.windowMs)).toBe(0);
  await admitted(processB, key, window);
  expect(await psaLedgerRows(processA, key)).toBe(1);
});

describe('governors sharing a budget through PostgreSQL', () => {
  const limits = { maxRequests: 5, windowMs: 1_000, maxConcurrentPerEndpoint: 2 };
  const governorOn = (db: Db, key: string) => new RateGovernor(limits, Date.now, { budget: postgresPsaBudget(db, memoryLogger().log), key });

  test('two processes together stay inside one budget, each within its own concurrency', async () => {
    const key = `conn-${randomUUID()}:halopsa`;
    const governors = [governorOn(processA, key), governorOn(processB, key)];
    const inFlight = [0, 0];
    let mostInFlight = 0;
    const t0 = Date.now();
    const grants: number[] = [];
    await Promise.all(
      governors.flatMap((g, gi) =>
        Array.from({ length: 8 }, async () => {
          const release = await g.acquire('tickets');
          grants.push(Date.now());
          inFlight[gi] = (inFlight[gi] as number) + 1;
          mostInFlight = Math.max(mostInFlight, inFlight[gi] as number);
          await sleep(50);
          inFlight[gi] = (inFlight[gi] as number) - 1;
          release();
        }),
      ),
    );
    // Alone, each governor would issue its 8 within about one window (5, then 3 a window later).
    expect(grants.filter((g) => g < t0 + limits.windowMs)).toHaveLength(5);
    expect(Math.max(...grants) - t0).toBeGreaterThanOrEqual(3 * limits.windowMs);
    // Admitted requests overlap (each takes 50 ms), but never more than two per process.
    expect(mostInFlight).toBe(2);
  });

  test("one process's Retry-After pause holds the other's callers", async () => {
    const key = `conn-${randomUUID()}:halopsa`;
    const [a, b] = [governorOn(processA, key), governorOn(processB, key)];
    const pausedAt = Date.now();
    a.pauseFor(600);
    // The pause is recorded in the background; the other process acts once it is there.
    while (!(await psaBudgetPausedUntil(processB, key))) await sleep(10);
    const release = await b.acquire('tickets');
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(600);
    release();
  });
});

describe('asking on terms: places reserved in PostgreSQL', () => {
  /** One request on terms from `db`: sends as soon as admitted (waiting out short answers), or returns its place. */
  async function onTerms(db: Db, key: string, window: BudgetWindow, reservation?: string): Promise<{ sentAt: number } | { reservedInMs: number; reservation: string; answeredAt: number }> {
    const claim = reservation;
    for (;;) {
      const v = await admitPsaRequestOnTerms(db, key, window, claim ? { reservation: claim } : {});
      if (v.admitted) {
        await completePsaRequest(db, v.requestId);
        return { sentAt: Date.now() };
      }
      if ('busy' in v) throw new Error('busy without background');
      if ('reservation' in v) return { ...v, answeredAt: Date.now() };
      await sleep(v.retryInMs);
    }
  }

  test('callers from two processes past the budget get places a window apart, claimed without exceeding any window', async () => {
    const key = `conn-${randomUUID()}:halopsa`;
    const window = { maxRequests: 4, windowMs: 1_500 };
    const answers = await Promise.all([processA, processB].flatMap((db) => Array.from({ length: 6 }, () => onTerms(db, key, window))));
    const sent = answers.filter((a): a is { sentAt: number } => 'sentAt' in a);
    const places = answers.filter((a): a is { reservedInMs: number; reservation: string; answeredAt: number } => 'reservation' in a);
    expect(sent).toHaveLength(4);
    expect(places).toHaveLength(8);
    // Four places one window after the first send, four two windows after (by the places' own
    // times, not how far ahead each was when answered: on a loaded machine the twelve
    // admissions, one at a time under the connection's lock, spread over hundreds of ms).
    const firstSent = Math.min(...sent.map((a) => a.sentAt));
    const ahead = places.map((p) => Math.round((p.answeredAt + p.reservedInMs - firstSent) / window.windowMs)).sort();
    expect(ahead).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    // Each comes back at its time (from either process) and is sent; no window ever holds more than 4.
    const claimed = await Promise.all(
      places.map(async (p, i) => {
        await sleep(p.reservedInMs);
        return onTerms(i % 2 ? processA : processB, key, window, p.reservation);
      }),
    );
    const times = [...sent, ...claimed].map((a) => (a as { sentAt: number }).sentAt);
    expect(claimed.every((a) => 'sentAt' in a)).toBe(true);
    expect(mostInOneWindow(times, window.windowMs)).toBeLessThanOrEqual(4);
  });

  test('an ordinary admission counts reserved places; a background one is refused while any place is reserved', async () => {
    const key = `conn-${randomUUID()}:halopsa`;
    const window = { maxRequests: 2, windowMs: 60_000 };
    expect(await admitPsaRequestOnTerms(processA, key, window, { background: true })).toMatchObject({ admitted: true });
    expect(await admitPsaRequestOnTerms(processA, key, window, {})).toMatchObject({ admitted: true });
    const place = await admitPsaRequestOnTerms(processB, key, window, {});
    expect(place).toMatchObject({ admitted: false, reservation: expect.any(String) });
    expect(await admitPsaRequest(processB, key, window)).toMatchObject({ admitted: false });
    expect(await admitPsaRequestOnTerms(processA, key, window, { background: true })).toEqual({ admitted: false, busy: true });
    // Claimed early, a place says how long to wait instead of letting the request through.
    const early = await admitPsaRequestOnTerms(processA, key, window, { reservation: (place as { reservation: string }).reservation });
    expect(early).toMatchObject({ admitted: false, retryInMs: expect.any(Number) });
    expect((early as { retryInMs: number }).retryInMs).toBeGreaterThan(50_000);
  });

  test('a governor over the shared budget defers a caller that cannot wait, and claims its place from another process', async () => {
    const key = `conn-${randomUUID()}:halopsa`;
    const limits = { maxRequests: 2, windowMs: 600, maxConcurrentPerEndpoint: 5 };
    const a = new RateGovernor(limits, Date.now, { budget: postgresPsaBudget(processA, memoryLogger().log), key });
    const b = new RateGovernor(limits, Date.now, { budget: postgresPsaBudget(processB, memoryLogger().log), key });
    (await a.acquire('tickets', undefined, { deferBeyondMs: 100 }))();
    (await b.acquire('tickets', undefined, { deferBeyondMs: 100 }))();
    const deferred = await a.acquire('tickets', undefined, { deferBeyondMs: 100 }).catch((e: unknown) => e);
    expect(deferred).toBeInstanceOf(PsaBudgetDeferred);
    await expect(b.acquire('tickets', undefined, { background: true })).rejects.toBeInstanceOf(PsaBudgetBusy);
    const d = deferred as PsaBudgetDeferred;
    expect(d.retryInMs).toBeGreaterThan(400);
    await sleep(d.retryInMs);
    const started = Date.now();
    (await b.acquire('tickets', undefined, { deferBeyondMs: 100, reservation: d.reservation }))();
    expect(Date.now() - started).toBeLessThan(300);
  });
});
