/**
 * Seat sync end to end: platform → API/client → Temporal → worker → PSA simulator billing objects.
 */
import type { PsaKind } from '../../psa/core/types';
import { createSeatsClient } from '../../client/seats';
import { seatSyncWorkflowId } from '../../workflows/seat-sync';
import { createAdapterProvider } from '../../infra/psa-adapters';
import { connectIntegration } from '../helpers/integration-fixture';
import { seedTenants } from '../helpers/seed';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
const fast = { debounceMs: 300, idleMs: 500 };
const seatsClient = () => createSeatsClient({ db: stack.db, temporal: stack.client, taskQueue: stack.taskQueue, timing: fast });

beforeAll(async () => {
  stack = await startStack('seat-sync');
});
afterAll(() => stack.close());

async function mappedOrganization(psa: PsaKind, settings?: Record<string, string>) {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: 1, seats: 7 });
  const organizationId = tenants.direct.organizationIds[0] as string;
  const fx = await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId: tenants.direct.id, psa, organizationIds: [organizationId] });
  if (settings) {
    await stack.db.updateTable('ticketMappings').set({ settings: JSON.stringify({ ...fx.ticketMapping, ...settings }) }).where('connectionId', '=', fx.connectionId).execute();
  }
  const { adapter } = await createAdapterProvider(stack.db, stack.deps.keys, stack.psa).forConnection(fx.connectionId);
  return { organizationId, fx, adapter };
}

const pushes = (organizationId: string) =>
  stack.db.selectFrom('auditLog').select(['outcome', 'detail']).where('target', '=', organizationId).where('action', '=', 'psa.set_quantity').execute();

describe.each<PsaKind>(['connectwise', 'autotask', 'halopsa'])('%s', (psa) => {
  test('a burst of seat changes ends as one absolute write of the latest count', async () => {
    const { organizationId, fx, adapter } = await mappedOrganization(psa);
    const before = await adapter.getQuantity(fx.organization);
    const target = before + 9;
    for (const seats of [before + 1, before + 4, target]) await seatsClient().reportSeatCount(organizationId, { seats });
    const summary = await stack.client.workflow.getHandle(seatSyncWorkflowId(organizationId)).result();
    expect(summary).toEqual({ pushes: 1, lastOutcome: 'updated' });
    expect(await adapter.getQuantity(fx.organization)).toBe(target);
    const audit = await pushes(organizationId);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.detail).toEqual({ previous: before, current: target });
    const state = await stack.db.selectFrom('seatSyncState').selectAll().where('organizationId', '=', organizationId).executeTakeFirstOrThrow();
    expect(state).toMatchObject({ desiredQuantity: target, pushedQuantity: target, status: 'in_sync', lastError: null });
  });

  test('reporting the same count again changes nothing in the PSA', async () => {
    const { organizationId, fx, adapter } = await mappedOrganization(psa);
    const current = await adapter.getQuantity(fx.organization);
    await seatsClient().reportSeatCount(organizationId, { seats: current });
    expect(await stack.client.workflow.getHandle(seatSyncWorkflowId(organizationId)).result()).toEqual({ pushes: 1, lastOutcome: 'in_sync' });
    expect(await adapter.getQuantity(fx.organization)).toBe(current);
  });
});

test('HaloPSA with "sync seat quantity" off records a skip and writes nothing', async () => {
  const { organizationId, fx, adapter } = await mappedOrganization('halopsa', { syncSeatQuantity: 'false' });
  const before = await adapter.getQuantity(fx.organization);
  await seatsClient().reportSeatCount(organizationId, { seats: before + 3 });
  expect(await stack.client.workflow.getHandle(seatSyncWorkflowId(organizationId)).result()).toEqual({ pushes: 1, lastOutcome: 'skipped' });
  expect(await adapter.getQuantity(fx.organization)).toBe(before);
  expect(await pushes(organizationId)).toHaveLength(0);
});

test('an unmapped organization is skipped without any PSA call', async () => {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: 1 });
  const organizationId = tenants.direct.organizationIds[0] as string;
  const calls = () => stack.sims.connectwise.server.log.length + stack.sims.autotask.server.log.length + stack.sims.halopsa.server.log.length;
  const before = calls();
  await seatsClient().reportSeatCount(organizationId, { seats: 3 });
  expect(await stack.client.workflow.getHandle(seatSyncWorkflowId(organizationId)).result()).toEqual({ pushes: 1, lastOutcome: 'skipped' });
  expect(calls()).toBe(before);
});

test('the API validates seat reports and hides unknown organizations', async () => {
  const tenants = await seedTenants(stack.db, { organizationsPerPartner: 1 });
  const organizationId = tenants.direct.organizationIds[0] as string;
  const bad = await stack.api('POST', `/v1/organizations/${organizationId}/seats`, null, { seats: -1 });
  expect(bad.status).toBe(400);
  expect(bad.body.error.issues[0].field).toBe('seats');
  const extra = await stack.api('POST', `/v1/organizations/${organizationId}/seats`, null, { seats: 2, partnerId: 'x' });
  expect(extra.status).toBe(400);
  const missing = await stack.api('POST', '/v1/organizations/00000000-0000-4000-8000-000000000000/seats', null, { seats: 2 });
  expect(missing.status).toBe(404);
  const ok = await stack.api('POST', `/v1/organizations/${organizationId}/seats`, null, { seats: 4 });
  expect(ok.status).toBe(202);
  await stack.client.workflow.getHandle(ok.body.workflowId).terminate('test done');
});
