/**
 * The PSA budget shared by worker processes, on real PostgreSQL: two independent pools (as two
 * processes have) racing for one window never exceed it together, a pause recorded by one holds
 * the other, expired rows are pruned, and two governors over one database together keep a budget
 * each of them alone would spend in one window.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect';
import { admitPsaRequest, completePsaRequest, pausePsaBudget, psaBudgetPausedUntil, psaLedgerRows, psaRequestsInWindow, type BudgetWindow } from '../../db/repositories/psa-budget';
import { RateGovernor } from '../../psa/core/governor';
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
