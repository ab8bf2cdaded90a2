/**
 * Billing reconcile and connection health end to end: schedules on the real Temporal server,
 * the worker, PostgreSQL and the simulators' billing objects.
 */
import { ScheduleNotFoundError } from '@temporalio/client';
import type { PsaKind } from '../../psa/core/types';
import { healthScheduleId, reconcileScheduleId } from '../../infra/connection-schedules';
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants } from '../helpers/seed';
import { waitFor } from './tickets-helpers';
import { integrationsPath, vendorKits } from './integration-kit';
import { finishedReport, mappedOrganizations, platformSink, reportsOf } from './reconcile-helpers';
import { API_AGENT_ID } from '../../sims/halopsa';

let stack: Stack;
let sink: Awaited<ReturnType<typeof platformSink>>;

beforeAll(async () => {
  stack = await startStack('reconcile');
  sink = await platformSink();
  // Activities read it at call time: the platform is told through this endpoint.
  stack.deps.platformCallbackUrl = sink.url;
});
afterAll(async () => {
  await stack?.close();
  await sink?.close();
});

const audits = (connectionId: string, action: string) =>
  stack.db.selectFrom('auditLog').select(['target', 'outcome', 'detail']).where('connectionId', '=', connectionId).where('action', '=', action).orderBy('id').execute();

describe.each<PsaKind>(['connectwise', 'autotask', 'halopsa'])('%s', (psa) => {
  test('drift is found in one list pass and repaired with absolute sets; a second run writes nothing', async () => {
    const s = await mappedOrganizations(stack, psa, [
      { seats: 10, psa: 10 },
      { seats: 12, psa: 10 }, // rise
      { seats: 8, psa: 10 }, // small drop
      { seats: 30, psa: 0 }, // never billed
      { seats: 5, psa: 5 },
    ]);
    const writesBefore = s.billing.writes();
    await s.client.triggerReconcile(s.partnerId, psa, s.userId);
    const report = await finishedReport(stack, s.connectionId, 1);
    expect(report).toMatchObject({ status: 'completed', found: 3, repaired: 3, held: 0, broken: 0 });
    expect(s.values.map((v) => s.billing.quantityOf(v))).toEqual([10, 12, 8, 30, 5]);
    expect(s.billing.writes() - writesBefore).toBe(3);
    // One pass over list pages plus the three writes, never a read per organization.
    expect(report.psaCalls).toBeGreaterThanOrEqual(4);
    expect(report.psaCalls).toBeLessThan(3 + s.values.length + 4);
    const sets = await audits(s.connectionId, 'psa.set_quantity');
    expect(sets.map((a) => a.target).sort()).toEqual([s.organizationIds[1], s.organizationIds[2], s.organizationIds[3]].sort());
    expect(await audits(s.connectionId, 'reconcile.report')).toHaveLength(1);

    await s.client.triggerReconcile(s.partnerId, psa, s.userId);
    expect(await finishedReport(stack, s.connectionId, 2)).toMatchObject({ status: 'completed', found: 0, repaired: 0 });
    expect(s.billing.writes() - writesBefore).toBe(3);

    // The drift reports, newest first, through the API and the typed client alike.
    const listed = await stack.api('GET', integrationsPath(s.partnerId, psa, '/reconcile/reports'), s.userId);
    expect(listed.status).toBe(200);
    expect(listed.body.reports.map((r: { found: number; repaired: number }) => [r.found, r.repaired])).toEqual([
      [0, 0],
      [3, 3],
    ]);
    expect(listed.body.reports[1]).toMatchObject({ status: 'completed', held: 0, broken: 0, psaCalls: report.psaCalls, startedAt: expect.any(String), finishedAt: expect.any(String) });
    const one = await s.client.reports(s.partnerId, psa, { limit: '1' });
    expect(one.map((r) => r.runId)).toEqual([listed.body.reports[0].runId]);
    for (const bad of ['limit=0', 'limit=201', 'limit=abc', 'limit=1%00', 'other=1']) {
      const res = await stack.api('GET', integrationsPath(s.partnerId, psa, `/reconcile/reports?${bad}`), s.userId);
      expect([bad, res.status, res.body.error.code]).toEqual([bad, 400, 'invalid_input']);
    }
    const stranger = await seedTenants(stack.db, { organizationsPerPartner: 1 });
    expect((await stack.api('GET', integrationsPath(s.partnerId, psa, '/reconcile/reports'), stranger.direct.users.owner)).status).toBe(404);
  });

  test('a deleted billing object and an unmapped plan are reported as broken and told to the platform', async () => {
    const s = await mappedOrganizations(stack, psa, [
      { seats: 4, psa: 4 },
      { seats: 6, psa: 3 },
      { seats: 7, psa: 7 },
    ]);
    s.billing.remove(s.values[1] as Record<string, string>);
    const planScoped = psa !== 'halopsa'; // HaloPSA maps no plans
    if (planScoped) {
      // Organization 3 moves to a plan that is not mapped to this PSA.
      const { id: planId } = await stack.db.insertInto('plans').values({ partnerId: s.partnerId, name: 'Unmapped plan' }).returning('id').executeTakeFirstOrThrow();
      await stack.db.updateTable('organizations').set({ planId }).where('id', '=', s.organizationIds[2] as string).execute();
    }
    await s.client.triggerReconcile(s.partnerId, psa, s.userId);
    const report = await finishedReport(stack, s.connectionId, 1);
    expect(report).toMatchObject({ status: 'completed', broken: planScoped ? 2 : 1, repaired: 0 });
    const mappings = await stack.db.selectFrom('organizationMappings').select(['organizationId', 'status', 'statusReason']).where('connectionId', '=', s.connectionId).execute();
    const byOrg = new Map(mappings.map((m) => [m.organizationId, m]));
    expect(byOrg.get(s.organizationIds[1] as string)).toMatchObject({ status: 'broken' });
    expect(byOrg.get(s.organizationIds[1] as string)?.statusReason).toMatch(/deleted/);
    if (planScoped) expect(byOrg.get(s.organizationIds[2] as string)?.statusReason).toMatch(/plan is no longer mapped/);
    const told = await waitFor('the platform to hear of the broken mappings', async () => sink.bodies.find((b) => b.type === 'mapping.broken' && b.connectionId === s.connectionId));
    expect((told.mappings as { organizationId: string }[]).map((m) => m.organizationId)).toContain(s.organizationIds[1]);
    await waitFor('the notice in the audit log', async () => (await audits(s.connectionId, 'platform.mapping.broken')).length === 1, 5_000);

    // Nothing new is broken on the next run: the platform is not told again.
    await s.client.triggerReconcile(s.partnerId, psa, s.userId);
    await finishedReport(stack, s.connectionId, 2);
    expect(sink.bodies.filter((b) => b.type === 'mapping.broken' && b.connectionId === s.connectionId)).toHaveLength(1);
  });
});

/** Why each vendor's inactive billing line and its inactive parent are broken (the line: Autotask's contract). */
const INACTIVE_REASONS: Record<PsaKind, { line: RegExp; parent: RegExp }> = {
  connectwise: { line: /ConnectWise agreement addition \d+ is cancelled/, parent: /ConnectWise agreement .+ is Cancelled/ },
  autotask: { line: /Autotask contract \d+ is inactive/, parent: /Autotask company \d+ is inactive/ },
  halopsa: { line: /HaloPSA software licence \d+ is inactive/, parent: /HaloPSA customer \d+ is inactive/ },
};

test.each<PsaKind>(['connectwise', 'autotask', 'halopsa'])('%s: an inactive billing line, then an inactive parent, is reported broken with the reason and not repaired; active again, mended', async (psa) => {
  const s = await mappedOrganizations(stack, psa, [
    { seats: 4, psa: 4 },
    { seats: 6, psa: 5 }, // drifted, its line goes inactive
    { seats: 8, psa: 7 }, // drifted (repaired while the line is out), its parent goes inactive
  ]);
  const [, line, parent] = s.values as [Record<string, string>, Record<string, string>, Record<string, string>];
  const mappings = async () => {
    const rows = await stack.db.selectFrom('organizationMappings').select(['organizationId', 'status', 'statusReason']).where('connectionId', '=', s.connectionId).execute();
    return s.organizationIds.map((o) => rows.find((r) => r.organizationId === o));
  };
  /** The health run checks the parents reconcile does not list, then reconcile runs: its report. */
  const bothRuns = async (reports: number) => {
    const health = stack.client.schedule.getHandle(healthScheduleId(s.connectionId));
    const before = (await health.describe()).info.recentActions.length;
    await s.client.triggerHealthCheck(s.partnerId, psa, s.userId);
    const started = await waitFor('the health run', async () => (await health.describe()).info.recentActions[before], 15_000);
    await stack.client.workflow.getHandle(started.action.workflow.workflowId, started.action.workflow.firstExecutionRunId).result();
    await s.client.triggerReconcile(s.partnerId, psa, s.userId);
    return finishedReport(stack, s.connectionId, reports);
  };
  const quantities = () => s.values.map((v) => s.billing.quantityOf(v));

  s.billing.setActive(line, 'line', false);
  try {
    expect(await bothRuns(1)).toMatchObject({ status: 'completed', broken: 1, repaired: 1 });
    const [ok, broken] = await mappings();
    expect(ok?.status).not.toBe('broken');
    expect(broken).toMatchObject({ status: 'broken', statusReason: expect.stringMatching(INACTIVE_REASONS[psa].line) });
    expect(quantities()).toEqual([4, 5, 8]);
  } finally {
    s.billing.setActive(line, 'line', true);
  }

  s.billing.setActive(parent, 'parent', false);
  try {
    // Autotask's company and HaloPSA's customer are shared by all three here: all three are broken.
    const shared = psa !== 'connectwise';
    expect(await bothRuns(2)).toMatchObject({ status: 'completed', broken: shared ? 3 : 1, repaired: shared ? 0 : 1 });
    const now = await mappings();
    expect(now[2]).toMatchObject({ status: 'broken', statusReason: expect.stringMatching(INACTIVE_REASONS[psa].parent) });
    expect(quantities()).toEqual(shared ? [4, 5, 8] : [4, 6, 8]);
  } finally {
    s.billing.setActive(parent, 'parent', true);
  }

  // All active again: mended, and the drift left is repaired.
  expect(await bothRuns(3)).toMatchObject({ status: 'completed', broken: 0 });
  expect((await mappings()).map((m) => m?.status === 'broken')).toEqual([false, false, false]);
  expect(quantities()).toEqual([4, 6, 8]);
});

test('a count of 0 and a large drop are held; approved is written once, dismissed never; deciding twice is refused', async () => {
  const psa: PsaKind = 'autotask';
  const s = await mappedOrganizations(stack, psa, [
    { seats: 0, psa: 10 }, // to zero
    { seats: 2, psa: 10 }, // an 80% drop
    { seats: 9, psa: 10 }, // within the share: repaired
  ]);
  await s.client.triggerReconcile(s.partnerId, psa, s.userId);
  expect(await finishedReport(stack, s.connectionId, 1)).toMatchObject({ found: 3, repaired: 1, held: 2 });
  expect(s.values.map((v) => s.billing.quantityOf(v))).toEqual([10, 10, 9]);

  const listed = await stack.api('GET', integrationsPath(s.partnerId, psa, '/reconcile/holds?status=pending'), s.userId);
  expect(listed.status).toBe(200);
  const holds = listed.body.holds as { id: string; organizationId: string; desired: number; psaQuantity: number }[];
  const zero = holds.find((h) => h.organizationId === s.organizationIds[0]);
  const drop = holds.find((h) => h.organizationId === s.organizationIds[1]);
  expect(zero).toMatchObject({ desired: 0, psaQuantity: 10 });
  expect(drop).toMatchObject({ desired: 2, psaQuantity: 10 });

  const approved = await stack.api('POST', integrationsPath(s.partnerId, psa, `/reconcile/holds/${zero?.id}/approve`), s.userId);
  expect(approved.status).toBe(200);
  expect(await s.client.dismissHold(s.partnerId, psa, drop?.id as string, s.userId)).toEqual({ holdId: drop?.id, status: 'dismissed' });
  // Approving triggered a run: it writes the approved zero and leaves the dismissed drop alone.
  expect(await finishedReport(stack, s.connectionId, 2)).toMatchObject({ repaired: 1, held: 1 });
  expect(s.values.map((v) => s.billing.quantityOf(v))).toEqual([0, 10, 9]);

  const again = await stack.api('POST', integrationsPath(s.partnerId, psa, `/reconcile/holds/${zero?.id}/approve`), s.userId);
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('hold_already_decided');
  const redismiss = await stack.api('POST', integrationsPath(s.partnerId, psa, `/reconcile/holds/${drop?.id}/dismiss`), s.userId);
  expect(redismiss.body.error.code).toBe('hold_already_decided');
  // The typed client refuses the same way, and knows no hold by a made-up or malformed id.
  await expect(s.client.approveHold(s.partnerId, psa, drop?.id as string, s.userId)).rejects.toMatchObject({ code: 'hold_already_decided' });
  for (const bad of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1' or '1'='1"]) {
    const res = await stack.api('POST', integrationsPath(s.partnerId, psa, `/reconcile/holds/${encodeURIComponent(bad)}/approve`), s.userId);
    expect([bad, res.status]).toEqual([bad, bad.startsWith('0000') ? 404 : 400]);
  }

  await s.client.triggerReconcile(s.partnerId, psa, s.userId);
  expect(await finishedReport(stack, s.connectionId, 3)).toMatchObject({ repaired: 0 });
  expect(s.values.map((v) => s.billing.quantityOf(v))).toEqual([0, 10, 9]);
  const all = await stack.db.selectFrom('reconcileHolds').select(['organizationId', 'status']).where('connectionId', '=', s.connectionId).execute();
  expect(all.sort((a, b) => a.status.localeCompare(b.status))).toEqual([
    { organizationId: s.organizationIds[0], status: 'applied' },
    { organizationId: s.organizationIds[1], status: 'dismissed' },
  ]);
  // Another tenant's user sees none of it.
  const other = await seedTenants(stack.db, { organizationsPerPartner: 1 });
  expect((await stack.api('GET', integrationsPath(s.partnerId, psa, '/reconcile/holds'), other.direct.users.owner)).status).toBe(404);
});

test('health: a locked API user turns the connection Unhealthy within one period, reconcile pauses and calls nothing; unlocked, it is Healthy again', async () => {
  const psa: PsaKind = 'autotask';
  const s = await mappedOrganizations(stack, psa, [{ seats: 3, psa: 3 }], { healthEverySeconds: 2, reconcileEverySeconds: 3600 });
  const health = () => stack.db.selectFrom('connections').select(['health', 'healthReason']).where('id', '=', s.connectionId).executeTakeFirstOrThrow();
  const paused = async () => (await stack.client.schedule.getHandle(reconcileScheduleId(s.connectionId)).describe()).state.paused;
  const told = (h: string) => sink.bodies.filter((b) => b.type === 'connection.health' && b.connectionId === s.connectionId && b.health === h);

  s.billing.lockApiUser();
  const lockedAt = Date.now();
  await waitFor('the health schedule to find the locked user', async () => (await health()).health === 'unhealthy', 15_000, 100);
  expect(Date.now() - lockedAt).toBeLessThan(2_000 + 3_000); // one period, plus a run's own time
  expect((await health()).healthReason).toMatch(/locked or inactive/);
  await waitFor('the reconcile schedule to pause', paused, 5_000);
  await waitFor('the platform to hear of it', async () => told('unhealthy').length === 1, 5_000);

  const trigger = await stack.api('POST', integrationsPath(s.partnerId, psa, '/reconcile'), s.userId);
  expect(trigger.status).toBe(409);
  expect(trigger.body.error.code).toBe('connection_unhealthy');
  // While Unhealthy the only PSA calls are the health test's, never a billing list or write.
  const from = stack.sims.autotask.server.log.length;
  await new Promise((r) => setTimeout(r, 4_500));
  const during = stack.sims.autotask.server.log.slice(from);
  expect(during.length).toBeGreaterThan(0);
  expect(during.filter((e) => e.method !== 'GET' || /contract/i.test(e.path))).toEqual([]);
  const testCalls = new Set(['/ATServicesRest/V1.0/Companies/{id}', '/ATServicesRest/V1.0/zoneInformation']); // the connection test
  expect(during.map((e) => e.path.replace(/\/\d+$/, '/{id}')).filter((p) => !testCalls.has(p))).toEqual([]);
  expect(told('unhealthy')).toHaveLength(1); // told once, not every period

  s.billing.unlockApiUser();
  await waitFor('the health schedule to find it fixed', async () => (await health()).health === 'healthy', 15_000, 100);
  await waitFor('the reconcile schedule to resume', async () => !(await paused()), 5_000);
  await waitFor('the platform to hear it is healthy', async () => told('healthy').length === 1, 5_000);
  await stack.client.schedule.getHandle(healthScheduleId(s.connectionId)).pause('test done');
});

/** How each vendor's API user stops working (and comes back), and what the connection then says. */
const API_USER_OUT: Record<PsaKind, { what: string; out(): void; back(): void; reason: RegExp }> = {
  connectwise: { what: 'locked', out: () => stack.sims.connectwise.state.lockApiUser(), back: () => stack.sims.connectwise.state.unlockApiUser(), reason: /ConnectWise (API user is locked or inactive|rejected the stored credentials)/ },
  autotask: { what: 'deactivated', out: () => stack.sims.autotask.state.deactivateApiUser(), back: () => stack.sims.autotask.state.unlockApiUser(), reason: /Autotask API user is locked or inactive/ },
  halopsa: { what: 'deactivated', out: () => stack.sims.halopsa.state.setAgentInactive(API_AGENT_ID, true), back: () => stack.sims.halopsa.state.setAgentInactive(API_AGENT_ID, false), reason: /HaloPSA (API user is locked or inactive|rejected the stored credentials)/ },
};

test.each<PsaKind>(['connectwise', 'autotask', 'halopsa'])('health flips both ways on %s: API user out, Unhealthy with the reason (told, reconcile paused); back, Healthy (told, resumed)', async (psa) => {
  const s = await mappedOrganizations(stack, psa, [{ seats: 3, psa: 3 }]);
  const how = API_USER_OUT[psa];
  const row = () => stack.db.selectFrom('connections').select(['health', 'healthReason']).where('id', '=', s.connectionId).executeTakeFirstOrThrow();
  const paused = async () => (await stack.client.schedule.getHandle(reconcileScheduleId(s.connectionId)).describe()).state.paused;
  const told = (h: string) => sink.bodies.filter((b) => b.type === 'connection.health' && b.connectionId === s.connectionId && b.health === h);
  how.out();
  try {
    await s.client.triggerHealthCheck(s.partnerId, psa, s.userId);
    await waitFor(`the health run to find the API user ${how.what}`, async () => (await row()).health === 'unhealthy', 15_000, 100);
    expect((await row()).healthReason).toMatch(how.reason);
    await waitFor('the reconcile schedule to pause', paused, 5_000, 100);
    await waitFor('the platform to hear of it', async () => told('unhealthy').length === 1, 5_000);
  } finally {
    how.back();
  }
  await s.client.triggerHealthCheck(s.partnerId, psa, s.userId);
  await waitFor('the health run to find it fixed', async () => (await row()).health === 'healthy', 15_000, 100);
  await waitFor('the reconcile schedule to resume', async () => !(await paused()), 5_000, 100);
  await waitFor('the platform to hear it is healthy', async () => told('healthy').length === 1, 5_000);
  expect(told('unhealthy')).toHaveLength(1);
});

test('a PSA refusal met by any activity pauses the reconcile schedule at once, before the next health run', async () => {
  const psa: PsaKind = 'autotask';
  const s = await mappedOrganizations(stack, psa, [{ seats: 4, psa: 3 }]); // health every hour: only the reconcile run meets the lock
  const paused = async () => (await stack.client.schedule.getHandle(reconcileScheduleId(s.connectionId)).describe()).state.paused;
  expect(await paused()).toBe(false);
  s.billing.lockApiUser();
  try {
    await s.client.triggerReconcile(s.partnerId, psa, s.userId);
    await waitFor('the reconcile run to find the locked user', async () => (await stack.db.selectFrom('connections').select('health').where('id', '=', s.connectionId).executeTakeFirstOrThrow()).health === 'unhealthy', 20_000, 100);
    await waitFor('the reconcile schedule to pause', paused, 5_000, 100);
    expect((await stack.client.schedule.getHandle(healthScheduleId(s.connectionId)).describe()).info.recentActions).toEqual([]);
    expect(s.billing.quantityOf(s.values[0] as Record<string, string>)).toBe(3);
  } finally {
    s.billing.unlockApiUser();
  }
  // The health run is the way back: healthy again, the schedule resumes.
  await s.client.triggerHealthCheck(s.partnerId, psa, s.userId);
  await waitFor('the reconcile schedule to resume', async () => !(await paused()), 15_000, 100);
});

test('a schedule keeps running across a worker restart', async () => {
  const psa: PsaKind = 'halopsa';
  const s = await mappedOrganizations(stack, psa, [{ seats: 5, psa: 4 }], { healthEverySeconds: 3600, reconcileEverySeconds: 2 });
  await finishedReport(stack, s.connectionId, 1, 20_000);
  await stack.stopWorker();
  const before = (await reportsOf(stack, s.connectionId)).length;
  await new Promise((r) => setTimeout(r, 2_500)); // a run falls due with no worker
  await stack.restartWorker();
  const after = await finishedReport(stack, s.connectionId, before + 1, 20_000);
  expect(after.status).toBe('completed');
  expect(s.billing.quantityOf(s.values[0] as Record<string, string>)).toBe(5);
  await stack.client.schedule.getHandle(reconcileScheduleId(s.connectionId)).pause('test done');
});

test('connect creates both schedules; revoke deletes them', async () => {
  const kit = vendorKits(stack).connectwise;
  const t = await seedTenants(stack.db);
  const owner = t.master.users.owner;
  const connect = await stack.api('POST', integrationsPath(t.master.id, 'connectwise', '/connect'), owner, { credentials: kit.credentials() });
  expect(connect.status).toBe(201);
  const connectionId = connect.body.connectionId as string;
  for (const id of [reconcileScheduleId(connectionId), healthScheduleId(connectionId)]) {
    const d = await stack.client.schedule.getHandle(id).describe();
    expect(d.action.type).toBe('startWorkflow');
  }
  const listed = await stack.api('GET', integrationsPath(t.master.id, 'connectwise', '/schedules'), owner);
  expect(listed.status).toBe(200);
  expect(listed.body).toMatchObject({ connectionId, reconcile: { scheduleId: reconcileScheduleId(connectionId), paused: false }, health: { scheduleId: healthScheduleId(connectionId) } });

  const revoke = await stack.api('POST', integrationsPath(t.master.id, 'connectwise', '/revoke'), owner);
  expect(revoke.status).toBe(200);
  for (const id of [reconcileScheduleId(connectionId), healthScheduleId(connectionId)]) {
    await expect(stack.client.schedule.getHandle(id).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  }
});

test('health: a right taken away turns the connection Unhealthy naming it, as a manual re-test does; restored, it is Healthy again', async () => {
  const psa: PsaKind = 'autotask';
  const s = await mappedOrganizations(stack, psa, [{ seats: 3, psa: 3 }]);
  const row = () => stack.db.selectFrom('connections').select(['health', 'healthReason']).where('id', '=', s.connectionId).executeTakeFirstOrThrow();
  const told = (h: string) => sink.bodies.filter((b) => b.type === 'connection.health' && b.connectionId === s.connectionId && b.health === h);
  stack.sims.autotask.state.revokeRight('contracts');
  try {
    await s.client.triggerHealthCheck(s.partnerId, psa, s.userId);
    await waitFor('the scheduled test to find the missing right', async () => (await row()).health === 'unhealthy', 15_000, 100);
    const scheduled = (await row()).healthReason;
    expect(scheduled).toMatch(/lacks a right the integration needs: .*Contracts/);
    await waitFor('the platform to hear of it', async () => told('unhealthy').length === 1, 5_000);
    // The manual re-test judges the same way and says the same.
    const retest = await stack.api('POST', integrationsPath(s.partnerId, psa, '/test'), s.userId, {});
    expect(retest.body).toMatchObject({ health: 'unhealthy' });
    expect((await row()).healthReason).toBe(scheduled);
  } finally {
    stack.sims.autotask.state.restoreRights();
  }
  // Re-tested through the API this time (allowed while Unhealthy: it is the way back).
  const retested = await stack.api('POST', integrationsPath(s.partnerId, psa, '/health-check'), s.userId);
  expect(retested.status).toBe(202);
  expect(retested.body).toEqual({ scheduleId: healthScheduleId(s.connectionId) });
  await waitFor('the scheduled test to find it restored', async () => (await row()).health === 'healthy', 15_000, 100);
  await waitFor('the platform to hear it is healthy', async () => told('healthy').length === 1, 5_000);
  expect(told('unhealthy')).toHaveLength(1);
});
