/**
 * A worker SIGKILLed in the middle of a reconcile run's writes: the next worker retries the
 * activity, which lists the PSA again, so what the dead attempt wrote reads as in sync and no
 * quantity is written twice (Autotask's create-only adjustments are relative: a second write of
 * the same drift would double it).
 */
import { startStack, type Stack } from '../helpers/stack';
import { startWorkerProcess, type WorkerProcess, workerEnvFor } from '../helpers/worker-process';
import { waitFor } from './tickets-helpers';
import { finishedReport, mappedOrganizations, reportsOf } from './reconcile-helpers';

let stack: Stack;
let worker: WorkerProcess | null = null;

const workerEnv = workerEnvFor;

beforeAll(async () => {
  stack = await startStack('reconcile-crash');
});
afterAll(async () => {
  await worker?.stop();
  await stack?.close();
});

test('killed midway through the repairs: the resumed run repairs the rest and nothing twice', async () => {
  const drifted = 30;
  const rows = Array.from({ length: drifted }, (_, i) => ({ seats: 20 + i, psa: 10 + i }));
  const s = await mappedOrganizations(stack, 'autotask', [...rows, { seats: 5, psa: 5 }]);
  await stack.stopWorker();
  worker = await startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });
  const sim = stack.sims.autotask.server;
  // Each adjustment takes a while, so the kill lands with some written and some not.
  sim.addFault({ method: 'POST', path: 'ContractServiceAdjustments$', kind: 'latency', ms: 150, times: 10_000 });
  const adjustments = () => sim.log.filter((e) => e.method === 'POST' && /ContractServiceAdjustments$/.test(e.path) && e.status >= 200 && e.status < 300).length;

  await s.client.triggerReconcile(s.partnerId, 'autotask', s.userId);
  await waitFor('some repairs to land', async () => adjustments() >= 8, 30_000, 20);
  await worker.kill();
  const atKill = adjustments();
  expect(atKill).toBeLessThan(drifted);
  worker = await startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });

  const report = await finishedReport(stack, s.connectionId, 1, 90_000);
  expect(report.status).toBe('completed');
  // The resumed attempt found only what the dead one had not written, and wrote just that.
  expect(report.found).toBeLessThan(drifted);
  expect(report.repaired).toBe(report.found);
  expect(adjustments()).toBe(drifted); // every drift written exactly once
  expect(s.values.map((v) => s.billing.quantityOf(v))).toEqual([...rows.map((r) => r.seats), 5]);
  expect(await reportsOf(stack, s.connectionId)).toHaveLength(1); // one run, one report
  const sets = await stack.db.selectFrom('auditLog').select('target').where('connectionId', '=', s.connectionId).where('action', '=', 'psa.set_quantity').where('outcome', '=', 'ok').execute();
  // Audited once each; writes in flight at the kill landed without their audit row (at most the pool's width).
  expect(new Set(sets.map((a) => a.target)).size).toBe(sets.length);
  expect(sets.length).toBeGreaterThanOrEqual(drifted - 4);
});
