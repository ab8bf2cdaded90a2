/**
 * The organization import's billing objects, per PSA, on real Temporal + PostgreSQL + the
 * simulators over HTTP: a company the import creates gets the plan's billing object (ConnectWise
 * agreement + addition and a billing contact, Autotask contract + contract service, HaloPSA
 * software licence) and is mapped with it like a hand mapping; `createBilling: false` leaves it
 * unmapped; an adopted company's fitting billing object is reused; a vendor refusal is reported on
 * its row with the PSA's reason.
 */
import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants } from '../helpers/seed';
import { connectIntegration, simFixtures } from '../helpers/integration-fixture';
import type { PsaKind } from '../../psa/core/types';
import { integrationsPath, vendorKits } from './integration-kit';
import { waitFor } from './tickets-helpers';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('org-import-billing');
});
afterAll(async () => {
  await stack?.close();
});

const extrasOf = (psa: PsaKind) => (psa === 'halopsa' ? { createUnder: '1' } : psa === 'autotask' ? { phone: '+1 555 0100' } : {});

/** A partner connected to `psa` with its plan mapped, and fresh organizations named uniquely. */
async function tenant(psa: PsaKind, count: number) {
  const t = await seedTenants(stack.db, { organizationsPerPartner: 1 });
  await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId: t.master.id, psa, organizationIds: [t.master.organizationIds[0] as string] });
  const tag = randomUUID().slice(0, 8);
  const orgs = await stack.db
    .insertInto('organizations')
    .values(Array.from({ length: count }, (_, i) => ({ partnerId: t.master.id, planId: t.master.planId, name: `Billing Import ${tag} ${i + 1}`, seatCount: 4 + i })))
    .returning(['id', 'name', 'seatCount'])
    .execute();
  const plan = await stack.db.selectFrom('plans').select('name').where('id', '=', t.master.planId).executeTakeFirstOrThrow();
  return { t, owner: t.master.users.owner, orgs, planName: plan.name };
}

async function run(psa: PsaKind, partnerId: string, owner: string, body: Record<string, unknown>) {
  const res = await stack.api('POST', integrationsPath(partnerId, psa, '/organization-import'), owner, { ...extrasOf(psa), ...body });
  expect(res.status).toBe(202);
  const done = await waitFor(
    'the import batch to finish',
    async () => {
      const r = await stack.api('GET', integrationsPath(partnerId, psa, `/organization-import/${res.body.batchId}`), owner);
      return r.status === 200 && r.body.finished ? r.body : null;
    },
    90_000,
    200,
  );
  return { done, byOrg: new Map<string, any>(done.rows.map((r: any) => [r.organizationId, r])) };
}

/** What the PSA holds for a billing mapping: its quantity and the object's name, read from the simulator. */
function billingInPsa(psa: PsaKind, values: Record<string, string>) {
  if (psa === 'connectwise') {
    const data = stack.sims.connectwise.state.data;
    const agreement = data.agreements.find((a) => String(a.id) === values.agreement);
    const addition = data.additions.find((x) => String(x.id) === values.agreementAddition);
    return { name: agreement?.name, company: String(agreement?.company.id), quantity: addition?.quantity, product: String(addition?.product.id), type: agreement?.type.name };
  }
  if (psa === 'autotask') {
    const seed = stack.sims.autotask.state.seed;
    const contract = seed.contracts.find((c) => String(c.id) === values.contract);
    const cs = seed.contractServices.find((x) => String(x.id) === values.contractService);
    const units = seed.units.find((u) => u.contractServiceID === cs?.id);
    return { name: contract?.contractName, company: String(contract?.companyID), quantity: units?.units, product: String(cs?.serviceID), category: contract?.contractCategory ?? null };
  }
  const licence = stack.sims.halopsa.state.data.licences.find((l) => String(l.id) === values.softwareLicence);
  return { name: licence?.name, company: String(licence?.client_id), quantity: licence?.count, product: null };
}

/** How many billing objects named `name` the PSA holds (any company). */
function billingObjectsNamed(psa: PsaKind, name: string): number {
  if (psa === 'connectwise') return stack.sims.connectwise.state.data.agreements.filter((a) => a.name === name).length;
  if (psa === 'autotask') return stack.sims.autotask.state.seed.contracts.filter((c) => c.contractName === name).length;
  return stack.sims.halopsa.state.data.licences.filter((l) => l.name === name).length;
}

function haloCustomerWithOneLicence(): Record<string, string> {
  const data = stack.sims.halopsa.state.data;
  const active = (id: number) => data.licences.filter((l) => l.client_id === id && l.is_active);
  const c = data.clients.find((x) => !x.inactive && active(x.id).length === 1);
  if (!c) throw new Error('the HaloPSA seed has no customer with exactly one licence');
  return { customer: String(c.id), softwareLicence: String(active(c.id)[0]?.id) };
}

const planProduct = (psa: PsaKind) => (psa === 'connectwise' ? simFixtures(psa).planMapping.catalogItem : psa === 'autotask' ? simFixtures(psa).planMapping.service : null);

/** Takes from the simulator's API user only the rights the import's billing objects are written with (HaloPSA: licence writes). */
function revokeImportBillingRights(psa: PsaKind): string[] {
  if (psa === 'connectwise') {
    stack.sims.connectwise.state.revokeRight('Finance > Agreements', ['add']);
    stack.sims.connectwise.state.revokeRight('Companies > Contacts', ['add']);
    return ['Finance > Agreements (Add)', 'Companies > Contacts (Add)'];
  }
  if (psa === 'autotask') {
    stack.sims.autotask.state.revokeAdd('contracts');
    return ['Contracts → Add = Yes'];
  }
  stack.sims.halopsa.state.setReadOnly('softwarelicensing', true);
  return [];
}

function restoreRights(psa: PsaKind): void {
  if (psa === 'connectwise') stack.sims.connectwise.state.restoreRights();
  else if (psa === 'autotask') stack.sims.autotask.state.restoreRights();
  else stack.sims.halopsa.state.setReadOnly('softwarelicensing', false);
}

/** Companies the simulator holds. */
function companyCount(psa: PsaKind): number {
  if (psa === 'connectwise') return stack.sims.connectwise.state.data.companies.length;
  if (psa === 'autotask') return stack.sims.autotask.state.seed.companies.length;
  return stack.sims.halopsa.state.data.clients.length;
}

describe.each(['connectwise', 'autotask', 'halopsa'] as const)('%s rights', (psa) => {
  test('without the billing write rights: connect and re-test name them (HaloPSA refuses: seat sync needs them), and an import that would make billing objects is refused up front', async () => {
    const kit = vendorKits(stack)[psa];
    const { t, owner, orgs } = await tenant(psa, 1);
    const [org] = orgs as [(typeof orgs)[number]];
    const direct = t.direct.users.owner;
    const rights = revokeImportBillingRights(psa);
    try {
      const connect = await stack.api('POST', integrationsPath(t.direct.id, psa, '/connect'), direct, { credentials: kit.credentials() });
      if (psa === 'halopsa') {
        // One licence access level serves seat sync and the import: read-only cannot run the integration.
        expect(connect.status).toBe(409);
        expect(connect.body.error.code).toBe('psa_permission_missing');
        expect(connect.body.error.message).toMatch(/Software Licensing Access Level.*Read and Modify.*Read Only/);
        return;
      }
      expect(connect.status).toBe(201);
      expect(connect.body).toMatchObject({ message: 'Connection succeeded with provided credentials.', integration: { health: 'healthy', connected: true } });
      expect(connect.body.limitations.map((l: { feature: string; right: string }) => [l.feature, l.right])).toEqual(rights.map((r) => ['import_billing', r]));
      const retest = await stack.api('POST', integrationsPath(t.direct.id, psa, '/test'), direct, {});
      expect(retest.status).toBe(200);
      expect(retest.body).toMatchObject({ health: 'healthy', message: 'Connection succeeded with provided credentials.' });
      expect(retest.body.limitations.map((l: { right: string }) => l.right)).toEqual(rights);
      const audit = await stack.db.selectFrom('auditLog').select('detail').where('partnerId', '=', t.direct.id).where('action', '=', 'integration.connect').executeTakeFirstOrThrow();
      expect(audit.detail).toMatchObject({ limitedRights: rights });

      // The import would make billing objects for a created company: refused before any PSA write.
      const companiesBefore = companyCount(psa);
      const refused = await stack.api('POST', integrationsPath(t.master.id, psa, '/organization-import'), owner, { ...extrasOf(psa), rows: [{ organizationId: org.id, action: 'create' }] });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('import_billing_rights_missing');
      for (const r of rights) expect(refused.body.error.message).toContain(r);
      expect(refused.body.error.message).toContain('createBilling: false');
      expect(companyCount(psa)).toBe(companiesBefore);

      // Without billing objects the import goes on: the company is made, the row says why it is not mapped.
      const { byOrg } = await run(psa, t.master.id, owner, { rows: [{ organizationId: org.id, action: 'create' }], createBilling: false });
      expect(byOrg.get(org.id)).toMatchObject({ outcome: 'refused', code: 'import_billing_unresolved', created: true });

      restoreRights(psa);
      const back = await stack.api('POST', integrationsPath(t.direct.id, psa, '/test'), direct, {});
      expect(back.body).toMatchObject({ health: 'healthy', limitations: [] });
      const again = await run(psa, t.master.id, owner, { rows: [{ organizationId: org.id, action: 'adopt', companyId: byOrg.get(org.id).companyId }] });
      expect(again.byOrg.get(org.id)).toMatchObject({ outcome: 'mapped' });
    } finally {
      restoreRights(psa);
    }
  });
});

describe.each(['connectwise', 'autotask', 'halopsa'] as const)('%s', (psa) => {
  test('a created company gets the plan\'s billing object, billed at the seats, and is mapped with it', async () => {
    const { t, owner, orgs, planName } = await tenant(psa, 2);
    const { done, byOrg } = await run(psa, t.master.id, owner, { rows: orgs.map((o) => ({ organizationId: o.id, action: 'create' })), ...(psa === 'autotask' ? { contractCategory: 'Backup' } : {}) });
    expect(done).toMatchObject({ total: 2, done: 2, mapped: 2, refused: 0, created: 2 });
    for (const o of orgs) {
      const row = byOrg.get(o.id);
      expect(row).toMatchObject({ outcome: 'mapped', created: true, code: null });
      const mapping = await stack.db.selectFrom('organizationMappings').select(['values', 'psa']).where('organizationId', '=', o.id).executeTakeFirstOrThrow();
      expect(mapping).toEqual({ values: row.values, psa });
      const held = billingInPsa(psa, row.values);
      expect(held).toMatchObject({ name: `${planName} (psa-sync)`, company: row.companyId, quantity: o.seatCount, product: planProduct(psa) });
      if (psa === 'connectwise') expect(held.type).toBe('Managed Services');
      if (psa === 'autotask') expect(held.category).toBe(2);
    }
    if (psa === 'connectwise') {
      // The agreement needs a contact: each new company got one billing contact.
      const contacts = stack.sims.connectwise.state.data.contacts.filter((c) => orgs.some((o) => String(c.company.id) === byOrg.get(o.id).companyId));
      expect(contacts.map((c) => c.firstName)).toEqual(['Billing', 'Billing']);
    }
    const audits = await stack.db.selectFrom('auditLog').select('action').where('target', 'in', orgs.map((o) => o.id)).execute();
    expect(audits.filter((a) => a.action === 'integration.organization_import.billing')).toHaveLength(2);
    expect(audits.filter((a) => a.action === 'integration.organization.map')).toHaveLength(2);
  });

  test('createBilling: false creates the company but no billing object, and says why the row is not mapped', async () => {
    const { t, owner, orgs, planName } = await tenant(psa, 1);
    const [org] = orgs as [(typeof orgs)[number]];
    const before = billingObjectsNamed(psa, `${planName} (psa-sync)`);
    const { done, byOrg } = await run(psa, t.master.id, owner, { rows: [{ organizationId: org.id, action: 'create' }], createBilling: false });
    expect(done).toMatchObject({ mapped: 0, refused: 1, created: 1 });
    const row = byOrg.get(org.id);
    expect(row).toMatchObject({ outcome: 'refused', code: 'import_billing_unresolved', created: true, companyId: expect.stringMatching(/^\d+$/) });
    expect(row.message).toContain('was not asked');
    expect(billingObjectsNamed(psa, `${planName} (psa-sync)`)).toBe(before);
    expect(await stack.db.selectFrom('organizationMappings').select('organizationId').where('organizationId', '=', org.id).executeTakeFirst()).toBeUndefined();

    // Imported again with billing on, the same company is adopted and gets its billing object.
    const again = await run(psa, t.master.id, owner, { rows: [{ organizationId: org.id, action: 'adopt', companyId: row.companyId }] });
    expect(again.byOrg.get(org.id)).toMatchObject({ outcome: 'mapped', companyId: row.companyId });
    expect(billingInPsa(psa, again.byOrg.get(org.id).values)).toMatchObject({ company: row.companyId, quantity: org.seatCount });
  });

  test("an adopted company's one fitting billing object is reused: nothing is written to the PSA", async () => {
    const { t, owner, orgs } = await tenant(psa, 1);
    const [org] = orgs as [(typeof orgs)[number]];
    // The seed's fixture company has exactly one billing object for the plan (HaloPSA: a customer with one licence).
    const fixture = psa === 'halopsa' ? haloCustomerWithOneLicence() : simFixtures(psa).organization;
    const companyId = Object.values(fixture)[0] as string;
    const sim = psa === 'connectwise' ? stack.sims.connectwise : psa === 'autotask' ? stack.sims.autotask : stack.sims.halopsa;
    sim.server.log.length = 0;
    const { byOrg } = await run(psa, t.master.id, owner, { rows: [{ organizationId: org.id, action: 'adopt', companyId }] });
    expect(byOrg.get(org.id)).toMatchObject({ outcome: 'mapped', created: false, companyId, values: fixture });
    const writes = sim.server.log.filter((e) => e.method !== 'GET' && !/\/query|auth\/token/i.test(e.path));
    expect(writes).toEqual([]);
  });

  test('a vendor refusal is reported on its row with the PSA\'s reason; the other rows are mapped', async () => {
    const { t, owner, orgs } = await tenant(psa, 2);
    const [bad, good] = orgs as [(typeof orgs)[number], (typeof orgs)[number]];
    let options: Record<string, unknown> = {};
    let rows: Record<string, unknown>[] = [
      { organizationId: bad.id, action: 'create' },
      { organizationId: good.id, action: 'create' },
    ];
    if (psa === 'connectwise') options = { agreementType: 'Legacy Support' }; // an inactive agreement type
    if (psa === 'autotask') options = { contractCategory: 'Legacy' }; // an inactive contract category
    const halo = stack.sims.halopsa;
    if (psa === 'halopsa') {
      // The licence POST is refused for the first row only (Halo answers a bad customer this way).
      halo.server.addFault({ method: 'POST', path: '^/api/SoftwareLicence$', kind: 'status', status: 400, body: { '[0].client_id': 'A Customer must be selected' }, times: 1 });
      rows = rows.slice(0, 1);
    }
    const { done, byOrg } = await run(psa, t.master.id, owner, { rows, ...options });
    const row = byOrg.get(bad.id);
    expect(row).toMatchObject({ outcome: 'refused', code: 'import_billing_refused', created: true, companyId: expect.stringMatching(/^\d+$/) });
    expect(row.message).toContain(bad.name);
    expect(row.message).toMatch(psa === 'connectwise' ? /Legacy Support/ : psa === 'autotask' ? /Legacy/ : /Customer must be selected/);
    if (psa !== 'halopsa') {
      // Every row asked for the refused option: each is refused the same way, none half-mapped.
      expect(done).toMatchObject({ mapped: 0, refused: 2 });
      const retried = await run(psa, t.master.id, owner, { rows: [{ organizationId: good.id, action: 'adopt', companyId: byOrg.get(good.id).companyId }] });
      expect(retried.byOrg.get(good.id)).toMatchObject({ outcome: 'mapped' });
    }
    expect(await stack.db.selectFrom('organizationMappings').select('organizationId').where('organizationId', '=', bad.id).executeTakeFirst()).toBeUndefined();
  });
});
