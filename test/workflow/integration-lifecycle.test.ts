/**
 * The integration journey for each PSA, end to end: HTTP API → Temporal (lifecycle workflow,
 * Updates) → activities → simulator over HTTP → PostgreSQL read model.
 */
import { sql } from 'kysely';
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants, type SeededTenants } from '../helpers/seed';
import { KeyRing } from '../../security/crypto';
import { integrationWorkflowId } from '../../workflows/integration-messages';
import { integrationsPath, PSAS, vendorKits, type VendorKit } from './integration-kit';
import type { PsaKind } from '../../psa/core/types';

let stack: Stack;
let kits: Record<PsaKind, VendorKit>;

beforeAll(async () => {
  stack = await startStack('integration-lifecycle');
  kits = vendorKits(stack);
});
afterAll(async () => {
  await stack?.close();
});

async function connected(t: SeededTenants, kit: VendorKit) {
  const res = await stack.api('POST', integrationsPath(t.master.id, kit.psa, '/connect'), t.master.users.owner, { credentials: kit.credentials() });
  expect(res.status).toBe(201);
  return res.body.connectionId as string;
}

const card = async (t: SeededTenants, psa: PsaKind) => {
  const res = await stack.api('GET', integrationsPath(t.master.id), t.master.users.admin);
  expect(res.status).toBe(200);
  return res.body.integrations.find((c: { psa: string }) => c.psa === psa);
};

describe.each(PSAS)('%s', (psa) => {
  let kit: VendorKit;
  beforeAll(() => {
    kit = kits[psa];
  });

  test('connect: bad input is a 400 per field, a wrong secret stores nothing, good credentials connect once', async () => {
    const t = await seedTenants(stack.db);
    const connect = (credentials: unknown) => stack.api('POST', integrationsPath(t.master.id, psa, '/connect'), t.master.users.admin, { credentials });

    const blank = await connect({});
    expect(blank.status).toBe(400);
    const fields = blank.body.error.issues.map((i: { field: string }) => i.field);
    for (const f of kit.requiredFields) expect(fields).toContain(`credentials.${f}`);

    const smuggled = await connect({ ...kit.credentials(), partnerId: t.direct.id });
    expect(smuggled.status).toBe(400);

    const wrong = await connect(kit.wrongCredentials());
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.code).toBe('credentials_rejected');
    const leftovers = await stack.db.selectFrom('connections').select('id').where('partnerId', '=', t.master.id).execute();
    expect(leftovers).toEqual([]); // compensation: a failed connect leaves no row, no credentials

    const ok = await connect(kit.credentials());
    expect(ok.status).toBe(201);
    expect(ok.body.message).toBe('Connection succeeded with provided credentials.');
    expect(ok.body.integration).toMatchObject({ psa, status: 'connected', health: 'healthy', connected: true, ticketMappingDone: false });
    const row = await stack.db.selectFrom('connections').selectAll().where('id', '=', ok.body.connectionId).executeTakeFirstOrThrow();
    expect(row.credentialsKeyId).toBe(stack.deps.keys.activeKeyId);
    expect(KeyRing.keyIdOf(row.credentials as Buffer)).toBe(row.credentialsKeyId);
    // Sealed for this row only: the same blob does not open as another row's credentials.
    expect(() => stack.deps.keys.openJson(row.credentials as Buffer, 'connections:00000000-0000-0000-0000-000000000000')).toThrow(/authenticate/);

    const again = await connect(kit.credentials());
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_connected');

    const state = await stack.client.workflow.getHandle(integrationWorkflowId(t.master.id, psa)).describe();
    expect(state.searchAttributes.PsaLifecycleState).toEqual(['connected']);
    expect(state.searchAttributes.PsaVendor).toEqual([psa]);
  });

  test('the permission probe names each missing right: it refuses the connect, and a re-test turns the connection Unhealthy until the right is back', async () => {
    const t = await seedTenants(stack.db);
    const path = (rest: string) => integrationsPath(t.master.id, psa, rest);
    kit.revokeTicketsRight();
    try {
      const refused = await stack.api('POST', path('/connect'), t.master.users.admin, { credentials: kit.credentials() });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('psa_permission_missing');
      expect(refused.body.error.message).toMatch(/lacks a right the integration needs: .*ticket/i);
      const leftovers = await stack.db.selectFrom('connections').select('id').where('partnerId', '=', t.master.id).execute();
      expect(leftovers).toEqual([]);
    } finally {
      kit.restoreRights();
    }

    await connected(t, kit);
    const passed = await stack.api('POST', path('/test'), t.master.users.admin, {});
    expect(passed.body).toMatchObject({ health: 'healthy', message: 'Connection succeeded with provided credentials.' });

    kit.revokeTicketsRight();
    try {
      const lost = await stack.api('POST', path('/test'), t.master.users.admin, {});
      expect(lost.status).toBe(200);
      expect(lost.body.health).toBe('unhealthy');
      expect(lost.body.message).toMatch(/lacks a right the integration needs: .*ticket/i);
      expect((await card(t, psa)).health).toBe('unhealthy');
    } finally {
      kit.restoreRights();
    }
    const back = await stack.api('POST', path('/test'), t.master.users.admin, {});
    expect(back.body).toMatchObject({ health: 'healthy', reason: null });
    expect((await card(t, psa)).health).toBe('healthy');
  });

  test('ticket mapping is optional, needs every field, checks each value in the PSA, and reset keeps the connection', async () => {
    const t = await seedTenants(stack.db);
    const connectionId = await connected(t, kit);
    const path = integrationsPath(t.master.id, psa, '/ticket-mapping');
    const put = (values: Record<string, string>) => stack.api('PUT', path, t.master.users.super_admin, { values });

    const form = await stack.api('GET', path, t.master.users.admin);
    expect(form.status).toBe(200);
    expect(form.body.values).toBeNull();
    expect(form.body.fields.map((f: { name: string }) => f.name).sort()).toEqual(Object.keys(kit.fixtures.ticketMapping).sort());

    const [dropped, ...rest] = Object.keys(kit.fixtures.ticketMapping);
    const partial = await put(Object.fromEntries(rest.map((k) => [k, kit.fixtures.ticketMapping[k] as string])));
    expect(partial.status).toBe(400);
    expect(partial.body.error.issues).toEqual([expect.objectContaining({ field: `values.${dropped}` })]);

    const unknownStatus = await put({ ...kit.fixtures.ticketMapping, status: '999999' });
    expect(unknownStatus.status).toBe(409);
    expect(unknownStatus.body.error.code).toBe('option_not_found');
    expect(unknownStatus.body.error.message).toContain('999999');

    const firstField = form.body.fields.find((f: { type: string; dependsOn: string[] }) => f.type === 'picklist' && f.dependsOn.length === 0);
    const options = await stack.api('GET', integrationsPath(t.master.id, psa, `/ticket-mapping/options/${firstField.name}`), t.master.users.admin);
    expect(options.status).toBe(200);
    expect(options.body.items.map((o: { id: string }) => o.id)).toContain(kit.fixtures.ticketMapping[firstField.name]);

    const ok = await put(kit.fixtures.ticketMapping);
    expect(ok.status).toBe(200);
    expect(ok.body.integration.ticketMappingDone).toBe(true);
    expect((await stack.api('GET', path, t.master.users.admin)).body.values).toEqual(kit.fixtures.ticketMapping);

    const reset = await stack.api('DELETE', path, t.master.users.owner);
    expect(reset.status).toBe(200);
    expect(reset.body.integration).toMatchObject({ ticketMappingDone: false, connected: true, connectionId });
    const row = await stack.db.selectFrom('connections').select(['status', 'credentials']).where('id', '=', connectionId).executeTakeFirstOrThrow();
    expect(row.status).toBe('connected');
    expect(row.credentials).not.toBeNull();
  });

  test('plans and organizations map before ticket mapping, in the order each PSA requires, and can be edited and unlinked', async () => {
    const t = await seedTenants(stack.db);
    await connected(t, kit);
    const [orgId] = t.master.organizationIds as [string];
    const orgPath = integrationsPath(t.master.id, psa, `/organization-mappings/${orgId}`);
    const planPath = integrationsPath(t.master.id, psa, `/plan-mappings/${t.master.planId}`);
    const user = t.master.users.admin;

    if (psa === 'halopsa') {
      const plan = await stack.api('PUT', planPath, user, { values: {} });
      expect(plan.status).toBe(409);
      expect(plan.body.error.code).toBe('plan_mapping_not_supported');
    } else {
      const early = await stack.api('PUT', orgPath, user, { values: kit.fixtures.organization });
      expect(early.status).toBe(409);
      expect(early.body.error.code).toBe('plan_not_mapped');

      const missing = await stack.api('PUT', planPath, user, { values: {} });
      expect(missing.status).toBe(400);
      const plan = await stack.api('PUT', planPath, user, { values: kit.fixtures.planMapping });
      expect(plan.status).toBe(200);
      expect(plan.body.plan.mappings).toEqual([expect.objectContaining({ psa, status: 'synced', values: kit.fixtures.planMapping })]);
    }

    const badOrg = await stack.api('PUT', orgPath, user, { values: Object.fromEntries(Object.keys(kit.fixtures.organization).map((k) => [k, '987654'])) });
    expect(badOrg.status).toBe(409);
    expect(badOrg.body.error.code).toBe('option_not_found');

    const mapped = await stack.api('PUT', orgPath, user, { values: kit.fixtures.organization });
    expect(mapped.status).toBe(200);
    expect(mapped.body.organization.mapping).toMatchObject({ psa, status: 'mapped', values: kit.fixtures.organization });
    expect(await card(t, psa)).toMatchObject({ ticketMappingDone: false, mappedOrganizations: 1, syncedPlans: psa === 'halopsa' ? 0 : 1 });

    // Editing on the same PSA is allowed (same values re-checked and kept).
    const edited = await stack.api('PUT', orgPath, user, { values: kit.fixtures.organization });
    expect(edited.status).toBe(200);

    if (psa !== 'halopsa') {
      const blocked = await stack.api('DELETE', planPath, user);
      expect(blocked.status).toBe(409);
      expect(blocked.body.error.code).toBe('plan_has_mapped_organizations');
    }
    expect((await stack.api('DELETE', orgPath, user)).status).toBe(204);
    if (psa !== 'halopsa') expect((await stack.api('DELETE', planPath, user)).status).toBe(204);
    expect(await card(t, psa)).toMatchObject({ mappedOrganizations: 0, syncedPlans: 0, connected: true });

    const audit = await stack.db.selectFrom('auditLog').select('action').where('partnerId', '=', t.master.id).orderBy('id').execute();
    const actions = audit.map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['integration.connect', 'integration.organization.map', 'integration.organization.unlink']));
    if (psa !== 'halopsa') expect(actions).toEqual(expect.arrayContaining(['integration.plan.map', 'integration.plan.unlink']));
  });

  test('revoke unlinks everything of this PSA, wipes the credentials, and the partner can connect again', async () => {
    const t = await seedTenants(stack.db);
    const first = await connected(t, kit);
    const user = t.master.users.owner;
    expect((await stack.api('PUT', integrationsPath(t.master.id, psa, '/ticket-mapping'), user, { values: kit.fixtures.ticketMapping })).status).toBe(200);
    if (psa !== 'halopsa') {
      expect((await stack.api('PUT', integrationsPath(t.master.id, psa, `/plan-mappings/${t.master.planId}`), user, { values: kit.fixtures.planMapping })).status).toBe(200);
    }
    for (const orgId of t.master.organizationIds.slice(0, 2)) {
      expect((await stack.api('PUT', integrationsPath(t.master.id, psa, `/organization-mappings/${orgId}`), user, { values: kit.fixtures.organization })).status).toBe(200);
    }

    const revoked = await stack.api('POST', integrationsPath(t.master.id, psa, '/revoke'), user);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ connectionId: first, unlinkedOrganizations: 2, unlinkedPlans: psa === 'halopsa' ? 0 : 1 });
    expect(revoked.body.integration).toMatchObject({ status: 'not_connected', connected: false, ticketMappingDone: false });

    const row = await stack.db.selectFrom('connections').selectAll().where('id', '=', first).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'revoked', credentials: null, credentialsKeyId: null });
    for (const table of ['ticket_mappings', 'plan_mappings', 'organization_mappings'] as const) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where connection_id = ${first}`.execute(stack.db);
      expect(rows[0]?.n).toBe(0);
    }
    const again = await stack.api('POST', integrationsPath(t.master.id, psa, '/revoke'), user);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('not_connected');
    const mapAfter = await stack.api('PUT', integrationsPath(t.master.id, psa, '/ticket-mapping'), user, { values: kit.fixtures.ticketMapping });
    expect(mapAfter.body.error.code).toBe('not_connected');

    const second = await connected(t, kit);
    expect(second).not.toBe(first);
    expect(await card(t, psa)).toMatchObject({ connectionId: second, connected: true, ticketMappingDone: false, mappedOrganizations: 0 });
    const desc = await stack.client.workflow.getHandle(integrationWorkflowId(t.master.id, psa)).describe();
    expect(desc.status.name).toBe('RUNNING');
  });
});
