/**
 * Broken mappings split between the two schedules: the health run finds a mapping whose PSA
 * contract is inactive (lists reconcile does not pay for), stores it broken and tells the
 * platform once; the next reconcile reports it from the stored state and makes only its billing
 * pages and repairs; active again, the health run mends it. Real Temporal, PostgreSQL and the
 * Autotask simulator over HTTP.
 */
import type { HealthCheckResult } from '../../activities/health-check';
import { healthScheduleId, reconcileScheduleId } from '../../infra/connection-schedules';
import type { PsaKind } from '../../psa/core/types';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from './tickets-helpers';
import { finishedReport, mappedOrganizations, platformSink, type ReconcileSetup } from './reconcile-helpers';

let stack: Stack;
let sink: Awaited<ReturnType<typeof platformSink>>;

beforeAll(async () => {
  stack = await startStack('reconcile-health');
  sink = await platformSink();
  stack.deps.platformCallbackUrl = sink.url;
});
afterAll(async () => {
  await stack?.close();
  await sink?.close();
});

const psa: PsaKind = 'autotask';

/** Triggers the connection's health schedule and returns what that run's workflow returned. */
async function healthRun(s: ReconcileSetup): Promise<HealthCheckResult> {
  const handle = stack.client.schedule.getHandle(healthScheduleId(s.connectionId));
  const before = (await handle.describe()).info.recentActions.length;
  await s.client.triggerHealthCheck(s.partnerId, psa, s.userId);
  const action = await waitFor('the health run to start', async () => (await handle.describe()).info.recentActions[before], 15_000);
  const wf = action.action.workflow;
  return stack.client.workflow.getHandle(wf.workflowId, wf.firstExecutionRunId).result();
}

/** Nothing but the run under test calls the simulator: every other schedule of the stack is paused. */
async function pauseAllBut(keep: string): Promise<void> {
  for await (const sch of stack.client.schedule.list()) {
    if (sch.scheduleId !== keep && !sch.state.paused) await stack.client.schedule.getHandle(sch.scheduleId).pause('measuring one run');
  }
}

const mappingOf = (s: ReconcileSetup, i: number) =>
  stack.db
    .selectFrom('organizationMappings')
    .select(['status', 'statusReason', 'brokenBy'])
    .where('organizationId', '=', s.organizationIds[i] as string)
    .executeTakeFirstOrThrow();

const brokenNotices = (connectionId: string) => sink.bodies.filter((b) => b.type === 'mapping.broken' && b.connectionId === connectionId);

test('an inactive Autotask contract is found by the health run and told once; the next reconcile reports it with only pages + repairs; active again, it is mended and repaired', async () => {
  const s = await mappedOrganizations(stack, psa, [
    { seats: 4, psa: 4 },
    { seats: 6, psa: 3 }, // drifted, but its contract goes inactive
    { seats: 7, psa: 5 }, // drifted
  ]);
  const contract = stack.sims.autotask.state.seed.contracts.find((c) => String(c.id) === s.values[1]?.contract);
  if (!contract) throw new Error('the fixture contract is missing');
  contract.status = 0; // a technician set the contract inactive

  const first = await healthRun(s);
  expect(first).toMatchObject({ health: 'healthy', mappings: { broken: 1, mended: 0 } });
  expect(first.mappings?.psaCalls).toBeGreaterThanOrEqual(2); // inactive contracts + inactive companies
  expect(await mappingOf(s, 1)).toEqual({ status: 'broken', statusReason: `Autotask contract ${contract.id} is inactive`, brokenBy: 'health' });
  expect(await mappingOf(s, 0)).toMatchObject({ status: 'mapped', brokenBy: null });
  const told = await waitFor('the platform to hear of the broken mapping', async () => brokenNotices(s.connectionId)[0]);
  expect(told.mappings).toEqual([{ organizationId: s.organizationIds[1], reason: `Autotask contract ${contract.id} is inactive` }]);
  // Still inactive on the next run: nothing new, the platform is not told again.
  expect(await healthRun(s)).toMatchObject({ health: 'healthy', mappings: { broken: 0, mended: 0 } });
  expect(brokenNotices(s.connectionId)).toHaveLength(1);

  // Reconcile alone: one ContractServiceUnits page for three mappings and one repair, nothing else.
  await pauseAllBut(reconcileScheduleId(s.connectionId));
  const log = stack.sims.autotask.server.log;
  const from = log.length;
  await s.client.triggerReconcile(s.partnerId, psa, s.userId);
  const report = await finishedReport(stack, s.connectionId, 1);
  const calls = log.slice(from).filter((e) => !/zoneInformation$/i.test(e.path)); // the anonymous zone lookup is a worker's, once
  expect(calls.map((e) => `${e.method} ${e.path.replace(/^.*\/V1\.0\//i, '')}`)).toEqual(['POST ContractServiceUnits/query', 'POST ContractServiceAdjustments']);
  expect(report).toMatchObject({ status: 'completed', found: 1, repaired: 1, broken: 1, psaCalls: 2 });
  expect((report.detail as { broken: unknown[] }).broken).toEqual([{ organizationId: s.organizationIds[1], reason: `Autotask contract ${contract.id} is inactive`, foundBy: 'health' }]);
  expect(s.values.map((v) => s.billing.quantityOf(v))).toEqual([4, 3, 7]); // the broken one is left alone
  expect(await mappingOf(s, 1)).toMatchObject({ status: 'broken', brokenBy: 'health' }); // reconcile does not mend what it did not find
  expect(brokenNotices(s.connectionId)).toHaveLength(1);

  // Active again: the health run mends it and the next reconcile repairs its drift.
  contract.status = 1;
  await stack.client.schedule.getHandle(healthScheduleId(s.connectionId)).unpause('measured');
  expect(await healthRun(s)).toMatchObject({ health: 'healthy', mappings: { broken: 0, mended: 1 } });
  expect(await mappingOf(s, 1)).toEqual({ status: 'mapped', statusReason: null, brokenBy: null });
  await s.client.triggerReconcile(s.partnerId, psa, s.userId);
  expect(await finishedReport(stack, s.connectionId, 2)).toMatchObject({ status: 'completed', found: 1, repaired: 1, broken: 0, psaCalls: 2 });
  expect(s.values.map((v) => s.billing.quantityOf(v))).toEqual([4, 6, 7]);
});

test('while Unhealthy the health run lists nothing beyond its test, and a deleted contract service stays reconcile’s to find', async () => {
  const s = await mappedOrganizations(stack, psa, [
    { seats: 2, psa: 2 },
    { seats: 3, psa: 3 },
  ]);
  s.billing.remove(s.values[1] as Record<string, string>);
  // The health run does not see a deleted contract service: its contract and company are active.
  expect(await healthRun(s)).toMatchObject({ health: 'healthy', mappings: { broken: 0 } });
  await s.client.triggerReconcile(s.partnerId, psa, s.userId);
  const report = await finishedReport(stack, s.connectionId, 1);
  expect(report).toMatchObject({ broken: 1 });
  expect((report.detail as { broken: { foundBy: string; reason: string }[] }).broken).toEqual([
    { organizationId: s.organizationIds[1], reason: expect.stringMatching(/contract service .* was deleted/), foundBy: 'reconcile' },
  ]);
  expect(await mappingOf(s, 1)).toMatchObject({ status: 'broken', brokenBy: null });
  // A health run does not mend what reconcile found.
  expect(await healthRun(s)).toMatchObject({ mappings: { mended: 0 } });
  expect(await mappingOf(s, 1)).toMatchObject({ status: 'broken', brokenBy: null });

  s.billing.lockApiUser();
  try {
    const log = stack.sims.autotask.server.log;
    const from = log.length;
    expect(await healthRun(s)).toMatchObject({ health: 'unhealthy', mappings: null });
    expect(log.slice(from).filter((e) => /\/query$/i.test(e.path))).toEqual([]);
  } finally {
    s.billing.unlockApiUser();
  }
  expect(await healthRun(s)).toMatchObject({ health: 'healthy' });
});
