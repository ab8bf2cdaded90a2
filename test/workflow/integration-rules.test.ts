/**
 * The rules and FAQ answers of the vendor document that span PSAs, health, serialization,
 * continue-as-new and revoke stopping running syncs — end to end through the API.
 */
import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants, type SeededTenants } from '../helpers/seed';
import { integrationWorkflow, initialIntegrationState } from '../../workflows/integration';
import { integrationStateQuery, integrationWorkflowId } from '../../workflows/integration-messages';
import type { PsaKind } from '../../psa/core/types';
import { integrationsPath, PSAS, vendorKits, type VendorKit } from './integration-kit';

let stack: Stack;
let kits: Record<PsaKind, VendorKit>;

beforeAll(async () => {
  stack = await startStack('integration-rules');
  kits = vendorKits(stack);
});
afterAll(async () => {
  await stack?.close();
});

const owner = (t: SeededTenants) => t.master.users.owner;
const call = (t: SeededTenants, method: string, psa: PsaKind, rest: string, body?: unknown) => stack.api(method, integrationsPath(t.master.id, psa, rest), owner(t), body);

async function connect(t: SeededTenants, psa: PsaKind) {
  const res = await call(t, 'POST', psa, '/connect', { credentials: kits[psa].credentials() });
  expect(res.status).toBe(201);
  return res.body.connectionId as string;
}
async function mapPlan(t: SeededTenants, psa: PsaKind, planId = t.master.planId) {
  if (psa === 'halopsa') return;
  const res = await call(t, 'PUT', psa, `/plan-mappings/${planId}`, { values: kits[psa].fixtures.planMapping });
  expect(res.status).toBe(200);
}
const mapOrg = (t: SeededTenants, psa: PsaKind, orgId: string) => call(t, 'PUT', psa, `/organization-mappings/${orgId}`, { values: kits[psa].fixtures.organization });

test('FAQ: a plan can be mapped with multiple integrations, and both are listed', async () => {
  const t = await seedTenants(stack.db);
  await connect(t, 'connectwise');
  await connect(t, 'autotask');
  await mapPlan(t, 'connectwise');
  await mapPlan(t, 'autotask');
  const plans = await call(t, 'GET', 'autotask', '/plan-mappings');
  const plan = plans.body.plans.find((p: { planId: string }) => p.planId === t.master.planId);
  expect(plan.mappings.map((m: { psa: string; status: string }) => `${m.psa}:${m.status}`).sort()).toEqual(['autotask:synced', 'connectwise:synced']);
});

test('FAQ: an organization is on one integration at a time; moving it needs an unlink first', async () => {
  const t = await seedTenants(stack.db);
  const [orgId] = t.master.organizationIds as [string];
  for (const psa of PSAS) await connect(t, psa);
  await mapPlan(t, 'autotask');
  await mapPlan(t, 'connectwise');
  expect((await mapOrg(t, 'autotask', orgId)).status).toBe(200);

  for (const other of ['connectwise', 'halopsa'] as const) {
    const refused = await mapOrg(t, other, orgId);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('organization_mapped_elsewhere');
    expect(refused.body.error.message).toMatch(/ is mapped to Autotask — unlink it there first/);
  }
  expect((await call(t, 'DELETE', 'autotask', `/organization-mappings/${orgId}`)).status).toBe(204);
  expect((await mapOrg(t, 'halopsa', orgId)).status).toBe(200);
  const orgs = await call(t, 'GET', 'halopsa', '/organization-mappings');
  expect(orgs.body.organizations.find((o: { organizationId: string }) => o.organizationId === orgId).mapping.psa).toBe('halopsa');
});

test('FAQ: plans and organizations may be mapped before ticket mapping; organizations never before their plan', async () => {
  const t = await seedTenants(stack.db);
  const [orgId] = t.master.organizationIds as [string];
  for (const psa of ['connectwise', 'autotask'] as const) {
    await connect(t, psa);
    const early = await mapOrg(t, psa, orgId);
    expect(early.body.error).toMatchObject({ code: 'plan_not_mapped' });
  }
  await mapPlan(t, 'autotask');
  expect((await mapOrg(t, 'autotask', orgId)).status).toBe(200);
  const cards = (await stack.api('GET', integrationsPath(t.master.id), owner(t))).body.integrations;
  expect(cards.find((c: { psa: string }) => c.psa === 'autotask')).toMatchObject({ ticketMappingDone: false, syncedPlans: 1, mappedOrganizations: 1 });
});

describe.each(PSAS)('%s health', (psa) => {
  test('a locked API user makes the connection Unhealthy; no PSA call is made until re-test succeeds', async () => {
    const kit = kits[psa];
    const t = await seedTenants(stack.db);
    const connectionId = await connect(t, psa);
    await mapPlan(t, psa);
    const [orgA, orgB] = t.master.organizationIds as [string, string];
    kit.lockApiUser();
    try {
      const failed = await mapOrg(t, psa, orgA);
      expect(failed.status).toBe(409);
      expect(failed.body.error.code).toBe('connection_unhealthy');
      const row = await stack.db.selectFrom('connections').select(['health', 'healthReason']).where('id', '=', connectionId).executeTakeFirstOrThrow();
      expect(row.health).toBe('unhealthy');
      expect(row.healthReason).toBeTruthy();

      const before = kit.sim.log.length;
      expect((await mapOrg(t, psa, orgB)).body.error.code).toBe('connection_unhealthy');
      expect((await call(t, 'PUT', psa, '/ticket-mapping', { values: kit.fixtures.ticketMapping })).body.error.code).toBe('connection_unhealthy');
      expect((await call(t, 'GET', psa, '/organization-mappings/options/' + Object.keys(kit.fixtures.organization)[0])).body.error.code).toBe('connection_unhealthy');
      expect(kit.sim.log.length).toBe(before); // not one request reached the PSA

      const stillLocked = await call(t, 'POST', psa, '/test', {});
      expect(stillLocked.body).toMatchObject({ health: 'unhealthy' });
      const desc = await stack.client.workflow.getHandle(integrationWorkflowId(t.master.id, psa)).describe();
      expect(desc.searchAttributes.PsaLifecycleState).toEqual(['unhealthy']);
    } finally {
      kit.unlockApiUser();
    }
    const restored = await call(t, 'POST', psa, '/test', {});
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ health: 'healthy', integration: { health: 'healthy', connected: true } });
    expect((await mapOrg(t, psa, orgA)).status).toBe(200);
  });

  test('re-entered credentials replace the stored ones only when the PSA accepts them', async () => {
    const kit = kits[psa];
    const t = await seedTenants(stack.db);
    const connectionId = await connect(t, psa);
    const sealed = async () => (await stack.db.selectFrom('connections').select('credentials').where('id', '=', connectionId).executeTakeFirstOrThrow()).credentials as Buffer;
    const original = await sealed();

    const wrong = await call(t, 'POST', psa, '/test', { credentials: kit.wrongCredentials() });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.code).toBe('credentials_rejected');
    expect((await sealed()).equals(original)).toBe(true);

    const right = await call(t, 'POST', psa, '/test', { credentials: kit.credentials() });
    expect(right.body).toMatchObject({ health: 'healthy' });
    expect((await sealed()).equals(original)).toBe(false); // re-sealed with a fresh IV
    expect(stack.deps.keys.openJson(await sealed(), `connections:${connectionId}`)).toMatchObject({ [kit.secretField]: kit.credentials()[kit.secretField] });
  });
});

test('changes to one integration run one at a time, in arrival order', async () => {
  const t = await seedTenants(stack.db, { organizationsPerPartner: 5 });
  await connect(t, 'connectwise');
  await mapPlan(t, 'connectwise');
  const results = await Promise.all(t.master.organizationIds.map((id) => mapOrg(t, 'connectwise', id)));
  expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);

  // In history, no activity is scheduled while another is still open.
  const history = await stack.client.workflow.getHandle(integrationWorkflowId(t.master.id, 'connectwise')).fetchHistory();
  let open = 0;
  let maxOpen = 0;
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes) maxOpen = Math.max(maxOpen, (open += 1));
    if (e.activityTaskCompletedEventAttributes || e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes) open -= 1;
  }
  expect(maxOpen).toBe(1);
});

test('continue-as-new carries the state; changes keep working across runs', async () => {
  const t = await seedTenants(stack.db);
  const workflowId = integrationWorkflowId(t.master.id, 'halopsa');
  const first = await stack.client.workflow.start(integrationWorkflow, {
    workflowId,
    taskQueue: stack.taskQueue,
    args: [{ state: initialIntegrationState(t.master.id, 'halopsa'), changesPerRun: 2 }],
  });
  const connectionId = await connect(t, 'halopsa');
  for (const orgId of t.master.organizationIds) {
    const r = await mapOrg(t, 'halopsa', orgId);
    expect(r.status).toBe(200);
  }
  const latest = stack.client.workflow.getHandle(workflowId);
  const desc = await latest.describe();
  expect(desc.runId).not.toBe(first.firstExecutionRunId);
  const state = await latest.query(integrationStateQuery);
  expect(state).toMatchObject({ connectionId, lifecycle: 'connected', changes: 4 });
  expect(desc.searchAttributes.PsaLifecycleState).toEqual(['connected']);
  const firstHistory = await stack.client.workflow.getHandle(workflowId, first.firstExecutionRunId).fetchHistory();
  expect(firstHistory.events?.some((e) => e.workflowExecutionContinuedAsNewEventAttributes)).toBe(true);
});

test('revoke tells every running sync of that partner × PSA to stop', async () => {
  const t = await seedTenants(stack.db);
  const [orgId] = t.master.organizationIds as [string];
  await connect(t, 'halopsa');
  expect((await call(t, 'PUT', 'halopsa', '/ticket-mapping', { values: kits.halopsa.fixtures.ticketMapping })).status).toBe(200);
  expect((await mapOrg(t, 'halopsa', orgId)).status).toBe(200);
  const eventId = randomUUID();
  const alert = await stack.api('POST', '/v1/alerts', null, { eventId, organizationId: orgId, problem: 'backup_failed', event: 'raised', occurredAt: new Date().toISOString() });
  expect(alert.status).toBe(202);
  // With its ticket open the run waits for the recovery; before that, revoke's unlinking could
  // end it on its own ("organization unmapped") and there would be nothing left to stop.
  const deadlineOpen = Date.now() + 10_000;
  const outcome = () => stack.db.selectFrom('alerts').select('outcome').where('eventId', '=', eventId).executeTakeFirst();
  while ((await outcome())?.outcome == null && Date.now() < deadlineOpen) await new Promise((r) => setTimeout(r, 100));
  expect((await outcome())?.outcome).toBe('ticket_created');

  const query = `PsaPartnerId = "${t.master.id}" AND PsaVendor = "halopsa" AND ExecutionStatus = "Running" AND WorkflowType != "integrationWorkflow"`;
  const running = async () => {
    const ids: string[] = [];
    for await (const wf of stack.client.workflow.list({ query })) ids.push(wf.workflowId);
    return ids;
  };
  const deadline = Date.now() + 10_000;
  while ((await running()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const syncs = await running();
  expect(syncs.length).toBeGreaterThan(0);

  const revoked = await call(t, 'POST', 'halopsa', '/revoke');
  expect(revoked.status).toBe(200);
  expect(revoked.body.stoppedWorkflows).toBeGreaterThanOrEqual(syncs.length);
  for (const id of syncs) {
    await stack.client.workflow.getHandle(id).result(); // each run ends once told the integration is gone
    expect((await stack.client.workflow.getHandle(id).describe()).status.name).toBe('COMPLETED');
  }
});

test('a lifecycle workflow terminated by an operator is started again from the read model', async () => {
  const t = await seedTenants(stack.db);
  const connectionId = await connect(t, 'halopsa');
  expect((await call(t, 'PUT', 'halopsa', '/ticket-mapping', { values: kits.halopsa.fixtures.ticketMapping })).status).toBe(200);
  const handle = stack.client.workflow.getHandle(integrationWorkflowId(t.master.id, 'halopsa'));
  await handle.terminate('ops test');

  const [orgId] = t.master.organizationIds as [string];
  expect((await mapOrg(t, 'halopsa', orgId)).status).toBe(200);
  const state = await stack.client.workflow.getHandle(integrationWorkflowId(t.master.id, 'halopsa')).query(integrationStateQuery);
  expect(state).toMatchObject({ connectionId, lifecycle: 'connected', ticketMapped: true });
});
