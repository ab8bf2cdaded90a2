/**
 * Who may manage integrations, end to end through the HTTP API: Owner / Super Admin / Admin of
 * the partner or of its master reseller; other roles 403; other tenants 404 (never 403);
 * sub-resellers map the plans assigned to them; smuggled tenant fields are refused. Each test
 * seeds tenants of its own, so any one of them runs alone.
 */
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants } from '../helpers/seed';
import type { UserRole } from '../../db/schema';
import { integrationsPath, vendorKits, type VendorKit } from './integration-kit';

let stack: Stack;
let cw: VendorKit;

beforeAll(async () => {
  stack = await startStack('integration-access');
  cw = vendorKits(stack).connectwise;
});
afterAll(async () => {
  await stack?.close();
});

const MANAGERS: UserRole[] = ['owner', 'super_admin', 'admin'];
const OTHERS: UserRole[] = ['technician', 'billing', 'read_only'];

describe.each(['master', 'sub', 'direct'] as const)('%s reseller', (level) => {
  test.each(MANAGERS)('%s may open and change its own integrations', async (role) => {
    const p = (await seedTenants(stack.db))[level];
    const list = await stack.api('GET', integrationsPath(p.id), p.users[role]);
    expect(list.status).toBe(200);
    expect(list.body.integrations.map((c: { psa: string }) => c.psa)).toEqual(['connectwise', 'autotask', 'halopsa']);
    // A change reaches the rules (409 not_connected), i.e. access was granted.
    const change = await stack.api('DELETE', integrationsPath(p.id, 'autotask', '/ticket-mapping'), p.users[role]);
    expect(change.body.error.code).toBe('not_connected');
  });

  test.each(OTHERS)('%s is refused with 403, reads and changes alike', async (role) => {
    const p = (await seedTenants(stack.db))[level];
    for (const [method, path] of [
      ['GET', integrationsPath(p.id)],
      ['POST', integrationsPath(p.id, 'connectwise', '/connect')],
      ['POST', integrationsPath(p.id, 'connectwise', '/revoke')],
    ] as const) {
      const res = await stack.api(method, path, p.users[role], method === 'GET' ? undefined : { credentials: cw.credentials() });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('access_denied');
    }
  });
});

test('a master reseller manages its sub-reseller; the sub cannot see the master, nor anyone a direct reseller', async () => {
  const t = await seedTenants(stack.db);
  const connect = await stack.api('POST', integrationsPath(t.sub.id, 'connectwise', '/connect'), t.master.users.admin, { credentials: cw.credentials() });
  expect(connect.status).toBe(201);
  const row = await stack.db.selectFrom('connections').select('partnerId').where('id', '=', connect.body.connectionId).executeTakeFirstOrThrow();
  expect(row.partnerId).toBe(t.sub.id);

  for (const [user, target] of [
    [t.sub.users.owner, t.master.id],
    [t.direct.users.owner, t.master.id],
    [t.direct.users.owner, t.sub.id],
    [t.master.users.owner, t.direct.id],
    [t.master.users.technician, t.direct.id], // another tenant: 404 even for a role that would get 403
  ] as const) {
    const res = await stack.api('GET', integrationsPath(target), user);
    expect(res.status).toBe(404);
  }
  const unknown = await stack.api('GET', integrationsPath('00000000-0000-4000-8000-000000000000'), t.master.users.owner);
  expect(unknown.status).toBe(404);
});

test("FAQ: a sub-reseller maps the plans assigned to it; another tenant's plans and organizations are not found", async () => {
  const t = await seedTenants(stack.db);
  const sub = t.sub;
  const path = (rest: string) => integrationsPath(sub.id, 'connectwise', rest);
  const connect = await stack.api('POST', path('/connect'), sub.users.owner, { credentials: cw.credentials() });
  expect(connect.status).toBe(201);

  const plans = await stack.api('GET', path('/plan-mappings'), sub.users.admin);
  expect(plans.body.plans.map((p: { planId: string; assigned: boolean }) => [p.planId, p.assigned])).toEqual(
    expect.arrayContaining([[t.assignedPlanId, true], [sub.planId, false]]),
  );
  const assigned = await stack.api('PUT', path(`/plan-mappings/${t.assignedPlanId}`), sub.users.admin, { values: cw.fixtures.planMapping });
  expect(assigned.status).toBe(200);
  expect(assigned.body.plan.mappings).toEqual([expect.objectContaining({ psa: 'connectwise', status: 'synced' })]);

  const foreignPlan = await stack.api('PUT', path(`/plan-mappings/${t.master.planId}`), sub.users.admin, { values: cw.fixtures.planMapping });
  expect(foreignPlan.status).toBe(404);
  const foreignOrg = await stack.api('PUT', path(`/organization-mappings/${t.direct.organizationIds[0]}`), sub.users.admin, { values: cw.fixtures.organization });
  expect(foreignOrg.status).toBe(404);
});

test('mass assignment of tenant, role or parent is refused with 400', async () => {
  const t = await seedTenants(stack.db);
  const p = t.direct;
  for (const extra of [{ partnerId: t.master.id }, { role: 'owner' }, { parentId: t.master.id }]) {
    const res = await stack.api('PUT', integrationsPath(p.id, 'halopsa', '/ticket-mapping'), p.users.owner, { values: {}, ...extra });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].message).toMatch(/Unrecognized key/i);
  }
  const bad = await stack.api('PUT', integrationsPath(p.id, 'halopsa', '/organization-mappings/not-a-uuid'), p.users.owner, { values: {} });
  expect(bad.status).toBe(400);
  expect(bad.body.error.issues[0].field).toBe('path.organizationId');
});
