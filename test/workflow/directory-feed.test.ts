/**
 * The directory feed end to end, over HTTP against the real API, Temporal, PostgreSQL and the
 * simulators: the tenant is loaded through the feed, integrations are connected and mapped
 * through the lifecycle, and then the platform's changes take effect through that lifecycle —
 * an organization deleted is unlinked (audited; its open ticket gets no more writes), a partner
 * deleted has its integrations revoked, an organization moved to an unmapped plan is flagged on
 * the card and the listing, a suspended organization opens no ticket and pushes no seats, and a
 * user demoted or deactivated is refused on the very next request.
 */
import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '../helpers/stack';
import { simControls, simCredentials, simFixtures } from '../helpers/integration-fixture';
import { integrationStateQuery, integrationWorkflowId } from '../../workflows/integration-messages';
import { createSeatActivities } from '../../activities/seats';
import { seatSyncWorkflowId } from '../../workflows/seat-sync';
import { serviceTicketWorkflowId, ticketMarker } from '../../workflows/ticket-messages';
import type { PsaKind } from '../../psa/core/types';
import { alertEvent, waitFor } from './tickets-helpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('directory-feed');
});
afterAll(async () => {
  await stack?.close();
});

const id = () => randomUUID();

interface Tenant {
  partnerId: string;
  owner: string;
  planMapped: string;
  planOther: string;
  orgs: string[];
}

/** A master reseller with an owner, two plans and three organizations, loaded through the batch route. */
async function loadTenant(): Promise<Tenant> {
  const t: Tenant = { partnerId: id(), owner: id(), planMapped: id(), planOther: id(), orgs: [id(), id(), id()] };
  const records = [
    ...t.orgs.map((o, i) => ({ op: 'upsert', type: 'organization', id: o, version: 1, partnerId: t.partnerId, planId: t.planMapped, name: `Customer ${i} ${o.slice(0, 4)}`, seatCount: 7, status: 'active' })),
    { op: 'upsert', type: 'user', id: t.owner, version: 1, partnerId: t.partnerId, email: `owner-${t.owner}@example.test`, role: 'owner', active: true },
    { op: 'upsert', type: 'plan', id: t.planMapped, version: 1, ownerPartnerId: t.partnerId, name: 'Server backup', assignedTo: [] },
    { op: 'upsert', type: 'plan', id: t.planOther, version: 1, ownerPartnerId: t.partnerId, name: 'Workstation backup', assignedTo: [] },
    { op: 'upsert', type: 'partner', id: t.partnerId, version: 1, name: `Reseller ${t.partnerId.slice(0, 6)}`, kind: 'master_reseller', parentId: null },
  ];
  const res = await stack.api('POST', '/v1/directory/batch', null, { records });
  expect(res.status).toBe(200);
  expect(res.body.counts).toEqual({ applied: records.length, unchanged: 0, stale: 0, refused: 0 });
  return t;
}

/** Connects the PSA and maps the plan (where the PSA maps plans) and `orgs`, all through the lifecycle's API. */
async function connectAndMap(t: Tenant, psa: PsaKind, orgs: string[]) {
  const base = `/v1/partners/${t.partnerId}/integrations/${psa}`;
  const fx = simFixtures(psa);
  const connect = await stack.api('POST', `${base}/connect`, t.owner, { credentials: simCredentials(psa, stack.sims) });
  expect(connect.status).toBe(201);
  expect((await stack.api('PUT', `${base}/ticket-mapping`, t.owner, { values: fx.ticketMapping })).status).toBe(200);
  if (psa !== 'halopsa') expect((await stack.api('PUT', `${base}/plan-mappings/${t.planMapped}`, t.owner, { values: fx.planMapping })).status).toBe(200);
  for (const o of orgs) expect((await stack.api('PUT', `${base}/organization-mappings/${o}`, t.owner, { values: fx.organization })).status).toBe(200);
}

const org = (t: Tenant, o: string, version: number, extra: Record<string, unknown> = {}) => ({ version, partnerId: t.partnerId, planId: t.planMapped, name: `Customer ${o.slice(0, 4)}`, seatCount: 7, status: 'active', ...extra });

test('an organization deleted on the platform is unlinked through the lifecycle (audited) and its open ticket gets no more writes', async () => {
  const t = await loadTenant();
  const [victim, bystander] = t.orgs as [string, string];
  await connectAndMap(t, 'connectwise', [victim, bystander]);
  const raised = await stack.api('POST', '/v1/alerts', null, alertEvent(victim, 'backup_failed', 'raised'));
  expect(raised.status).toBe(202);
  const marker = ticketMarker(victim, 'backup_failed', 1);
  const ticket = await waitFor('ticket row', () => stack.db.selectFrom('tickets').select(['psaTicketId']).where('marker', '=', marker).executeTakeFirst());
  const sim = simControls('connectwise', stack.sims);

  const deleted = await stack.api('DELETE', `/v1/directory/organizations/${victim}?version=2`, null);
  expect(deleted.status).toBe(200);
  expect(deleted.body).toMatchObject({ outcome: 'applied', consequences: [{ action: 'unlink_organization', psa: 'connectwise', outcome: 'done' }] });
  expect(await stack.db.selectFrom('organizationMappings').select('id').where('organizationId', '=', victim).execute()).toEqual([]);
  expect(await stack.db.selectFrom('organizationMappings').select('id').where('organizationId', '=', bystander).execute()).toHaveLength(1);
  const audit = await stack.db.selectFrom('auditLog').select(['actor', 'outcome']).where('action', '=', 'integration.organization.unlink').where('target', '=', victim).execute();
  expect(audit).toEqual([{ actor: 'directory-feed', outcome: 'ok' }]);

  // The platform's later alerts for it reach no ticket run: nothing more is written to its PSA ticket.
  expect((await stack.api('POST', '/v1/alerts', null, alertEvent(victim, 'backup_failed', 'raised'))).status).toBe(404);
  expect((await stack.api('POST', '/v1/alerts', null, alertEvent(victim, 'backup_failed', 'recovered'))).status).toBe(404);
  // Its ticket run was told by the unlink and ended, leaving the PSA ticket as it is (audited).
  const run = await stack.client.workflow.getHandle(serviceTicketWorkflowId(victim, 'backup_failed')).result();
  expect(run).toMatchObject({ stopReason: 'organization_unlinked', psaTicketId: ticket.psaTicketId });
  const abandoned = await stack.db.selectFrom('auditLog').select('detail').where('partnerId', '=', t.partnerId).where('action', '=', 'ticket.abandon').execute();
  expect(abandoned).toEqual([{ detail: expect.objectContaining({ psaTicketId: ticket.psaTicketId, reason: 'organization_unlinked' }) }]);
  expect(sim.isClosed(ticket.psaTicketId)).toBe(false);
  expect(sim.ticketsWithMarker(marker)).toBe(1);
  // Mapping it again is refused by the lifecycle; a late upsert older than the delete is stale.
  const remap = await stack.api('PUT', `/v1/partners/${t.partnerId}/integrations/connectwise/organization-mappings/${victim}`, t.owner, { values: simFixtures('connectwise').organization });
  expect(remap.status).toBe(404);
  const late = await stack.api('PUT', `/v1/directory/organizations/${victim}`, null, org(t, victim, 1));
  expect(late.body).toMatchObject({ outcome: 'stale' });
  // The same delete again is a no-op with nothing left to unlink.
  const again = await stack.api('DELETE', `/v1/directory/organizations/${victim}?version=2`, null);
  expect(again.body).toMatchObject({ outcome: 'unchanged' });
  expect(again.body.consequences).toBeUndefined();
  // A consequence that did not finish (the process died between the write and the unlink): the
  // same delete sent again finds the mapping still there and unlinks it through the lifecycle.
  const conn = await stack.db.selectFrom('connections').select('id').where('partnerId', '=', t.partnerId).where('status', '=', 'connected').executeTakeFirstOrThrow();
  await stack.db.insertInto('organizationMappings').values({ organizationId: victim, connectionId: conn.id, psa: 'connectwise', values: JSON.stringify(simFixtures('connectwise').organization) }).execute();
  const healed = await stack.api('DELETE', `/v1/directory/organizations/${victim}?version=2`, null);
  expect(healed.body).toMatchObject({ outcome: 'unchanged', consequences: [{ action: 'unlink_organization', psa: 'connectwise', outcome: 'done' }] });
  expect(await stack.db.selectFrom('organizationMappings').select('id').where('organizationId', '=', victim).execute()).toEqual([]);
});

test('an organization moved to a plan its PSA has not mapped is flagged on the card and the listing until that plan and then the organization are mapped', async () => {
  const t = await loadTenant();
  const [moved] = t.orgs as [string];
  await connectAndMap(t, 'autotask', [moved]);
  const base = `/v1/partners/${t.partnerId}/integrations/autotask`;
  const res = await stack.api('PUT', `/v1/directory/organizations/${moved}`, null, org(t, moved, 2, { planId: t.planOther }));
  expect(res.body).toMatchObject({ outcome: 'applied' });
  const card = async () => (await stack.api('GET', `/v1/partners/${t.partnerId}/integrations`, t.owner)).body.integrations.find((i: { psa: string }) => i.psa === 'autotask');
  expect(await card()).toMatchObject({ mappedOrganizations: 1, flaggedOrganizations: 1 });
  const listing = await stack.api('GET', `${base}/organization-mappings`, t.owner);
  expect(listing.body.organizations.find((o: { organizationId: string }) => o.organizationId === moved).mapping).toMatchObject({ psa: 'autotask', flag: 'plan_not_mapped' });
  // The partner maps the new plan through the lifecycle: its billing object still sells the old plan.
  expect((await stack.api('PUT', `${base}/plan-mappings/${t.planOther}`, t.owner, { values: simFixtures('autotask').planMapping })).status).toBe(200);
  const flagged = await stack.api('GET', `${base}/organization-mappings`, t.owner);
  expect(flagged.body.organizations.find((o: { organizationId: string }) => o.organizationId === moved).mapping).toMatchObject({ flag: 'plan_changed' });
  expect(await card()).toMatchObject({ flaggedOrganizations: 1 });
  // Mapped again under its new plan: nothing left to flag.
  expect((await stack.api('PUT', `${base}/organization-mappings/${moved}`, t.owner, { values: simFixtures('autotask').organization })).status).toBe(200);
  expect(await card()).toMatchObject({ flaggedOrganizations: 0 });
  // A PSA that maps no plans never flags.
  const t2 = await loadTenant();
  await connectAndMap(t2, 'halopsa', [t2.orgs[0] as string]);
  await stack.api('PUT', `/v1/directory/organizations/${t2.orgs[0]}`, null, org(t2, t2.orgs[0] as string, 2, { planId: t2.planOther }));
  expect((await stack.db.selectFrom('organizationMappings').select('flag').where('organizationId', '=', t2.orgs[0] as string).executeTakeFirstOrThrow()).flag).toBeNull();
});

test('a suspended organization keeps its mapping, opens no ticket (a clear code) and pushes no seats', async () => {
  const t = await loadTenant();
  const [suspended] = t.orgs as [string];
  await connectAndMap(t, 'connectwise', [suspended]);
  expect((await stack.api('PUT', `/v1/directory/organizations/${suspended}`, null, org(t, suspended, 2, { status: 'suspended' }))).body).toMatchObject({ outcome: 'applied' });
  const raised = await stack.api('POST', '/v1/alerts', null, alertEvent(suspended, 'backup_failed', 'raised'));
  expect(raised.status).toBe(409);
  expect(raised.body.error.code).toBe('organization_suspended');
  expect(simControls('connectwise', stack.sims).ticketsWithMarker(ticketMarker(suspended, 'backup_failed', 1))).toBe(0);
  expect(await stack.db.selectFrom('organizationMappings').select('id').where('organizationId', '=', suspended).execute()).toHaveLength(1);
  const push = await createSeatActivities(stack.deps).pushSeatQuantity(suspended);
  expect(push).toMatchObject({ status: 'skipped', reason: 'organization is suspended' });
  // Active again: alerts open tickets again, and its seat sync is nudged (the count reaches billing through its workflow).
  const resumed = await stack.api('PUT', `/v1/directory/organizations/${suspended}`, null, org(t, suspended, 3, { seatCount: 9 }));
  expect(resumed.body).toMatchObject({ outcome: 'applied', consequences: [{ action: 'sync_seats', outcome: 'done' }] });
  const seatRun = await stack.client.workflow.getHandle(seatSyncWorkflowId(suspended)).describe();
  expect(seatRun.type).toBe('seatSyncWorkflow');
  // A repeat changes nothing and nudges nothing.
  expect((await stack.api('PUT', `/v1/directory/organizations/${suspended}`, null, org(t, suspended, 3, { seatCount: 9 }))).body.consequences).toBeUndefined();
  expect((await stack.api('POST', '/v1/alerts', null, alertEvent(suspended, 'backup_failed', 'raised'))).status).toBe(202);
});

test('a user demoted or deactivated is refused on the next request (403, then 401)', async () => {
  const t = await loadTenant();
  const cards = () => stack.api('GET', `/v1/partners/${t.partnerId}/integrations`, t.owner);
  expect((await cards()).status).toBe(200);
  const user = (version: number, extra: Record<string, unknown>) => ({ version, partnerId: t.partnerId, email: `owner-${t.owner}@example.test`, role: 'owner', active: true, ...extra });
  expect((await stack.api('PUT', `/v1/directory/users/${t.owner}`, null, user(2, { role: 'technician' }))).body.outcome).toBe('applied');
  expect((await cards()).status).toBe(403);
  expect((await stack.api('PUT', `/v1/directory/users/${t.owner}`, null, user(3, { active: false }))).body.outcome).toBe('applied');
  expect((await cards()).status).toBe(401);
  // An older change arriving late does not give access back.
  expect((await stack.api('PUT', `/v1/directory/users/${t.owner}`, null, user(2, { role: 'owner' }))).body.outcome).toBe('stale');
  expect((await cards()).status).toBe(401);
});

test('a partner deleted on the platform has its integrations revoked through the lifecycle; its users lose access', async () => {
  const t = await loadTenant();
  await connectAndMap(t, 'halopsa', [t.orgs[0] as string]);
  const deleted = await stack.api('DELETE', `/v1/directory/partners/${t.partnerId}?version=5`, null);
  expect(deleted.status).toBe(200);
  expect(deleted.body).toMatchObject({ outcome: 'applied', consequences: [{ action: 'revoke_integration', psa: 'halopsa', outcome: 'done' }] });
  const state = await stack.client.workflow.getHandle(integrationWorkflowId(t.partnerId, 'halopsa')).query(integrationStateQuery);
  expect(state).toMatchObject({ lifecycle: 'revoked', connectionId: null });
  const conn = await stack.db.selectFrom('connections').select(['status', 'credentials']).where('partnerId', '=', t.partnerId).executeTakeFirstOrThrow();
  expect(conn).toEqual({ status: 'revoked', credentials: null });
  expect(await stack.db.selectFrom('organizationMappings').select('id').where('organizationId', '=', t.orgs[0] as string).execute()).toEqual([]);
  const audit = await stack.db.selectFrom('auditLog').select('actor').where('partnerId', '=', t.partnerId).where('action', '=', 'integration.revoke').execute();
  expect(audit).toEqual([{ actor: 'directory-feed' }]);
  expect((await stack.api('GET', `/v1/partners/${t.partnerId}/integrations`, t.owner)).status).toBe(401);
});

test('single routes answer refusals with their code; the batch route takes bodies over 1 MiB', async () => {
  const orphan = await stack.api('PUT', `/v1/directory/partners/${id()}`, null, { version: 1, name: 'Orphan', kind: 'sub_reseller', parentId: null });
  expect(orphan.status).toBe(409);
  expect(orphan.body.error.code).toBe('parent_required');
  const bad = await stack.api('PUT', `/v1/directory/partners/${id()}`, null, { version: 1, name: 'nul\u0000', kind: 'master_reseller', parentId: null });
  expect(bad.status).toBe(400);
  const noToken = await fetch(`${stack.apiUrl}/v1/directory/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"records":[]}' });
  expect(noToken.status).toBe(401);

  const master = id();
  const planId = id();
  const records: unknown[] = [
    { op: 'upsert', type: 'partner', id: master, version: 1, name: 'Big reseller', kind: 'master_reseller', parentId: null },
    { op: 'upsert', type: 'plan', id: planId, version: 1, ownerPartnerId: master, name: 'Plan', assignedTo: [] },
  ];
  for (let i = 0; i < 4998; i += 1) records.push({ op: 'upsert', type: 'organization', id: id(), version: 1, partnerId: master, planId, name: `Customer number ${i} with a longer name`, seatCount: i, status: 'active' });
  const body = { records };
  expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(1024 * 1024);
  let t0 = Date.now();
  const first = await stack.api('POST', '/v1/directory/batch', null, body);
  const firstSeconds = (Date.now() - t0) / 1000;
  expect(first.status).toBe(200);
  expect(first.body.counts).toEqual({ applied: 5000, unchanged: 0, stale: 0, refused: 0 });
  t0 = Date.now();
  const repeat = await stack.api('POST', '/v1/directory/batch', null, body);
  const repeatSeconds = (Date.now() - t0) / 1000;
  expect(repeat.body.counts).toEqual({ applied: 0, unchanged: 5000, stale: 0, refused: 0 });
  console.log(`directory batch over HTTP: 5,000 records (${(Buffer.byteLength(JSON.stringify(body)) / 1024 / 1024).toFixed(2)} MiB) — first ${firstSeconds.toFixed(2)} s, repeat ${repeatSeconds.toFixed(2)} s`);
  // Other routes keep the 1 MiB limit.
  const big = await stack.api('PUT', `/v1/directory/partners/${id()}`, null, { version: 1, name: 'x'.repeat(2 * 1024 * 1024), kind: 'master_reseller', parentId: null });
  expect(big.status).toBe(413);
});
