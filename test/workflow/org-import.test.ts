/**
 * Organization import on real Temporal + PostgreSQL + the simulators (seeded with awkward
 * company names): the preview's matches, ties, scores and billing proposals; a confirmed batch
 * maps through the lifecycle workflow, reports each refusal with its code, creates a missing
 * company once, and renames nothing in the PSA.
 */
import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants, type SeededTenants } from '../helpers/seed';
import { connectIntegration } from '../helpers/integration-fixture';
import { normaliseCompanyName } from '../../domain/name-match';
import { integrationsPath } from './integration-kit';
import { waitFor } from './tickets-helpers';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('org-import', { simSeed: { awkwardCompanies: true } });
});
afterAll(async () => {
  await stack?.close();
});

const importPath = (partnerId: string, rest = '') => integrationsPath(partnerId, 'connectwise', `/organization-import${rest}`);

async function addOrg(partnerId: string, planId: string, name: string): Promise<string> {
  return (await stack.db.insertInto('organizations').values({ partnerId, planId, name, seatCount: 3 }).returning('id').executeTakeFirstOrThrow()).id;
}

/** A seeded company with agreements whose normalised name no other company shares, and the one addition of catalog item 1001. */
function companyWithOneAddition() {
  const data = stack.sims.connectwise.state.data;
  const keyCount = new Map<string, number>();
  for (const c of data.companies) keyCount.set(normaliseCompanyName(c.name).key, (keyCount.get(normaliseCompanyName(c.name).key) ?? 0) + 1);
  for (const c of data.companies) {
    if (keyCount.get(normaliseCompanyName(c.name).key) !== 1) continue;
    const fitting = data.agreements
      .filter((a) => a.company.id === c.id && !a.cancelledFlag)
      .flatMap((a) => data.additions.filter((x) => x.agreementId === a.id && !x.cancelledDate && x.product.id === 1001).map((x) => ({ a, x })));
    if (fitting.length === 1) {
      const { a, x } = fitting[0] as { a: { id: number }; x: { id: number } };
      return { company: c, values: { company: String(c.id), agreement: String(a.id), agreementAddition: String(x.id) } };
    }
  }
  throw new Error('the seed has no company with exactly one fitting addition');
}

async function finished(partnerId: string, batchId: string, owner: string) {
  return waitFor(
    'the import batch to finish',
    async () => {
      const res = await stack.api('GET', importPath(partnerId, `/${batchId}`), owner);
      return res.status === 200 && res.body.finished ? res.body : null;
    },
    60_000,
    200,
  );
}

describe('organization import against ConnectWise', () => {
  let t: SeededTenants;
  let owner: string;
  const orgs = {} as Record<'target' | 'acme' | 'riverside' | 'fresh' | 'otherPlan' | 'gone', string>;
  let target: ReturnType<typeof companyWithOneAddition>;
  let mappedBefore: string;

  beforeAll(async () => {
    t = await seedTenants(stack.db, { organizationsPerPartner: 1 });
    owner = t.master.users.owner;
    mappedBefore = t.master.organizationIds[0] as string;
    // Connected, the plan mapped, one organization already mapped (to the seed's company 250).
    await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId: t.master.id, psa: 'connectwise', organizationIds: [mappedBefore] });
    target = companyWithOneAddition();
    const otherPlan = (await stack.db.insertInto('plans').values({ partnerId: t.master.id, name: 'Unmapped plan' }).returning('id').executeTakeFirstOrThrow()).id;
    orgs.target = await addOrg(t.master.id, t.master.planId, `  the ${target.company.name.toUpperCase()}, inc. `);
    orgs.acme = await addOrg(t.master.id, t.master.planId, 'acme inc');
    orgs.riverside = await addOrg(t.master.id, t.master.planId, 'Riverside Medical Group');
    orgs.fresh = await addOrg(t.master.id, t.master.planId, `Zzyzx Quantum Widgets ${randomUUID().slice(0, 6)}`);
    orgs.otherPlan = await addOrg(t.master.id, otherPlan, 'Müller und Söhne');
    // Deleted on the platform: never offered, and a confirm naming it makes nothing in the PSA.
    orgs.gone = await addOrg(t.master.id, t.master.planId, `Deleted Dairy ${randomUUID().slice(0, 6)}`);
    await stack.db.updateTable('organizations').set({ status: 'deleted' }).where('id', '=', orgs.gone).execute();
  });

  test('preview: every unmapped organization with its best match, score, alternatives and the billing object that fits', async () => {
    const res = await stack.api('GET', importPath(t.master.id, '/preview'), owner);
    expect(res.status).toBe(200);
    const p = res.body;
    expect(p.alreadyMapped).toBe(1);
    expect(p.companiesScanned).toBeGreaterThan(60);
    const byId = new Map<string, any>(p.organizations.map((r: any) => [r.organizationId, r]));
    expect(byId.has(mappedBefore)).toBe(false); // mapped organizations are not offered again
    expect(byId.has(orgs.gone)).toBe(false); // nor deleted ones
    expect(p.organizations).toHaveLength(5);

    const hit = byId.get(orgs.target);
    expect(hit).toMatchObject({ outcome: 'matched', planReady: true, match: { companyId: String(target.company.id), companyName: target.company.name, score: 0.95 } });
    expect(hit.billing).toEqual({ values: target.values, fits: 1 });
    expect(hit.values).toEqual(target.values);

    const acme = byId.get(orgs.acme);
    expect(acme).toMatchObject({ outcome: 'matched', match: { companyName: 'Acme Inc', score: 1 }, billing: { values: null, fits: 0 }, values: null });
    expect(acme.alternatives.map((a: any) => a.companyName)).toEqual(expect.arrayContaining(['Acme Corporation', 'ACME Corp.', 'Acme, Inc.']));

    const tie = byId.get(orgs.riverside);
    expect(tie).toMatchObject({ outcome: 'tie', match: null, billing: null, values: null });
    expect(tie.alternatives.filter((a: any) => a.companyName === 'Riverside Medical Group')).toHaveLength(2);

    expect(byId.get(orgs.fresh)).toMatchObject({ outcome: 'none', match: null, alternatives: [] });
    // Both spellings of the German name are in the PSA: a tie, and its plan is not mapped to ConnectWise anyway.
    const muller = byId.get(orgs.otherPlan);
    expect(muller).toMatchObject({ outcome: 'tie', planReady: false, match: null, billing: null });
    expect(muller.alternatives.map((a: any) => a.companyName).sort()).toEqual(['Mueller und Soehne GmbH', 'Müller & Söhne GmbH']);
  });

  test('confirm: one batch through the lifecycle workflow; refusals per row; the missing company made once; nothing renamed', async () => {
    const cw = stack.sims.connectwise;
    const namesBefore = cw.state.data.companies.map((c) => [c.id, c.name]);
    cw.server.reset();
    const [stranger] = t.direct.organizationIds as [string];
    const rows = [
      { organizationId: orgs.target, action: 'map', values: target.values },
      { organizationId: orgs.acme, action: 'map', values: { company: '323', agreement: '999999', agreementAddition: '1' } },
      { organizationId: orgs.otherPlan, action: 'map', values: target.values },
      { organizationId: mappedBefore, action: 'map', values: target.values },
      { organizationId: stranger, action: 'map', values: target.values },
      { organizationId: orgs.fresh, action: 'create' },
      { organizationId: orgs.gone, action: 'create' },
    ];
    const res = await stack.api('POST', importPath(t.master.id), owner, { rows });
    expect(res.status).toBe(202);
    const done = await finished(t.master.id, res.body.batchId, owner);
    expect(done).toMatchObject({ total: 7, done: 7, mapped: 2, refused: 5, created: 1, finished: true });
    const byOrg = new Map<string, any>(done.rows.map((r: any) => [r.organizationId, r]));
    expect(byOrg.get(orgs.target)).toMatchObject({ outcome: 'mapped', values: target.values, code: null });
    expect(byOrg.get(orgs.acme)).toMatchObject({ outcome: 'refused', code: 'option_not_found' });
    expect(byOrg.get(orgs.otherPlan)).toMatchObject({ outcome: 'refused', code: 'plan_not_mapped' });
    expect(byOrg.get(mappedBefore)).toMatchObject({ outcome: 'refused', code: 'import_already_mapped' });
    expect(byOrg.get(stranger)).toMatchObject({ outcome: 'refused', code: 'not_found' });
    expect(byOrg.get(orgs.gone)).toMatchObject({ outcome: 'refused', code: 'not_found', created: false });
    // The made company got the plan's billing object (createBilling is on by default) and is mapped with it.
    const fresh = byOrg.get(orgs.fresh);
    expect(fresh).toMatchObject({ outcome: 'mapped', code: null, created: true, values: { company: fresh.companyId, agreement: expect.any(String), agreementAddition: expect.any(String) } });

    // The mapping went through the lifecycle workflow (its audit row) and is in the read model.
    const mapping = await stack.db.selectFrom('organizationMappings').select(['values', 'connectionId']).where('organizationId', '=', orgs.target).executeTakeFirstOrThrow();
    expect(mapping.values).toEqual(target.values);
    const audits = await stack.db.selectFrom('auditLog').select('action').where('target', '=', orgs.target).execute();
    expect(audits.map((a) => a.action)).toContain('integration.organization.map');
    // The organization mapped before keeps its mapping.
    const kept = await stack.db.selectFrom('organizationMappings').select('values').where('organizationId', '=', mappedBefore).executeTakeFirstOrThrow();
    expect(kept.values).not.toEqual(target.values);

    // One company made, under the organization's name; no company renamed or changed.
    const freshName = (await stack.db.selectFrom('organizations').select('name').where('id', '=', orgs.fresh).executeTakeFirstOrThrow()).name;
    const made = cw.state.data.companies.filter((c) => c.name === freshName);
    expect(made).toHaveLength(1);
    expect(String(made[0]?.id)).toBe(fresh.companyId);
    const writes = cw.server.log.filter((e) => e.method !== 'GET');
    expect(writes.filter((e) => /company\/companies/i.test(e.path)).map((e) => e.method)).toEqual(['POST']);
    // … and one agreement, one addition and one billing contact for it; nothing else was written.
    expect(writes.map((e) => e.path.replace(/^.*apis\/3\.0\//, '').replace(/\d+/g, 'N')).sort()).toEqual(['company/companies', 'company/contacts', 'finance/agreements', 'finance/agreements/N/additions']);
    expect(cw.state.data.companies.filter((c) => namesBefore.some(([id]) => id === c.id)).map((c) => [c.id, c.name])).toEqual(namesBefore);

    // The next preview offers neither mapped organization again.
    const again = await stack.api('GET', importPath(t.master.id, '/preview'), owner);
    expect(again.body.organizations.some((r: any) => r.organizationId === orgs.fresh)).toBe(false);
    expect(again.body.organizations.some((r: any) => r.organizationId === orgs.target)).toBe(false);
  });

  test('confirm refuses a malformed batch before starting anything', async () => {
    const dup = { organizationId: orgs.acme, action: 'create' };
    expect((await stack.api('POST', importPath(t.master.id), owner, { rows: [dup, dup] })).status).toBe(400);
    expect((await stack.api('POST', importPath(t.master.id), owner, { rows: [] })).status).toBe(400);
    expect((await stack.api('POST', importPath(t.master.id), owner, { rows: [{ organizationId: orgs.acme, action: 'rename' }] })).status).toBe(400);
    expect((await stack.api('POST', importPath(t.master.id), owner, { rows: [{ organizationId: orgs.acme, action: 'adopt', companyId: 'x' }] })).status).toBe(400);
    expect((await stack.api('POST', importPath(t.master.id), owner, { rows: [dup], createBilling: 'yes' })).status).toBe(400);
    expect((await stack.api('GET', importPath(t.master.id, `/${randomUUID()}`), owner)).status).toBe(404);
    // Another partner's admin sees nothing of it.
    expect((await stack.api('GET', importPath(t.master.id, '/preview'), t.direct.users.owner)).status).toBe(404);
    expect((await stack.api('GET', importPath(t.master.id, '/preview'), t.master.users.technician)).status).toBe(403);
  });

  test('an organization mapped to another PSA is not offered; a confirm naming it is refused (organization_mapped_elsewhere) and makes nothing', async () => {
    const elsewhere = await addOrg(t.master.id, t.master.planId, `Mapped On Halo ${randomUUID().slice(0, 6)} Ltd`);
    await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId: t.master.id, psa: 'halopsa', organizationIds: [elsewhere] });
    const preview = await stack.api('GET', importPath(t.master.id, '/preview'), owner);
    expect(preview.body.organizations.some((r: any) => r.organizationId === elsewhere)).toBe(false);
    const cw = stack.sims.connectwise;
    cw.server.reset();
    const res = await stack.api('POST', importPath(t.master.id), owner, { rows: [{ organizationId: elsewhere, action: 'create' }] });
    expect(res.status).toBe(202);
    const done = await finished(t.master.id, res.body.batchId, owner);
    expect(done).toMatchObject({ total: 1, mapped: 0, refused: 1, created: 0 });
    expect(done.rows[0]).toMatchObject({ outcome: 'refused', code: 'organization_mapped_elsewhere', created: false });
    expect(done.rows[0].message).toMatch(/mapped to HaloPSA/);
    expect(cw.server.log.filter((e) => e.method !== 'GET')).toEqual([]);
    // It stays on HaloPSA.
    expect(await stack.db.selectFrom('organizationMappings').select('psa').where('organizationId', '=', elsewhere).execute()).toEqual([{ psa: 'halopsa' }]);
  });
});

describe('billing proposals of the other PSAs', () => {
  /** A HaloPSA customer with exactly one active licence, and one with several (no proposal then). */
  const haloCustomer = (licences: 'one' | 'several') => {
    const data = stack.sims.halopsa.state.data;
    const count = (id: number) => data.licences.filter((l) => l.client_id === id && l.is_active).length;
    const keys = data.clients.map((c) => normaliseCompanyName(c.name).key);
    const c = data.clients.find((x) => !x.inactive && keys.filter((k) => k === normaliseCompanyName(x.name).key).length === 1 && (licences === 'one' ? count(x.id) === 1 : count(x.id) > 1));
    if (!c) throw new Error(`no HaloPSA customer with ${licences} licence(s)`);
    const licence = data.licences.find((l) => l.client_id === c.id && l.is_active);
    return { name: c.name, values: licences === 'one' ? { customer: String(c.id), softwareLicence: String(licence?.id) } : null, fits: count(c.id) };
  };

  test.each(['connectwise', 'autotask'] as const)('%s: two billing objects of the plan fit — none proposed, both counted', async (psa) => {
    const t = await seedTenants(stack.db, { organizationsPerPartner: 1 });
    const owner = t.master.users.owner;
    await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId: t.master.id, psa, organizationIds: [t.master.organizationIds[0] as string] });
    const name = `Twofold Billing ${randomUUID().slice(0, 8)}`;
    if (psa === 'connectwise') {
      const data = stack.sims.connectwise.state.data;
      const template = data.companies[0] as (typeof data.companies)[number];
      const agreementTemplate = data.agreements.find((a) => !a.cancelledFlag) as (typeof data.agreements)[number];
      const additionTemplate = data.additions.find((x) => x.product.id === 1001 && !x.cancelledDate) as (typeof data.additions)[number];
      const companyId = 970_000 + data.companies.length;
      data.companies.push({ ...structuredClone(template), id: companyId, identifier: `Twofold${companyId}`, name });
      for (const k of [1, 2]) {
        const agreementId = 980_000 + data.agreements.length + k;
        data.agreements.push({ ...structuredClone(agreementTemplate), id: agreementId, name: `Backup ${k}`, company: { ...agreementTemplate.company, id: companyId, name } });
        data.additions.push({ ...structuredClone(additionTemplate), id: 990_000 + data.additions.length + k, agreementId });
      }
    } else {
      const seed = stack.sims.autotask.state.seed;
      const companyId = 97_000_000 + seed.companies.length;
      seed.companies.push({ ...structuredClone(seed.companies.find((c) => c.id === 1000) as (typeof seed.companies)[number]), id: companyId, companyName: name });
      for (const k of [1, 2]) {
        const contractId = 98_000_000 + seed.contracts.length + k;
        seed.contracts.push({ id: contractId, companyID: companyId, contractName: `Backup ${k}`, contractType: 7, status: 1 });
        seed.contractServices.push({ id: 99_000_000 + seed.contractServices.length + k, contractID: contractId, serviceID: 501, invoiceDescription: 'Backup seats', unitPrice: 4 });
      }
    }
    const orgId = await addOrg(t.master.id, t.master.planId, `${name.toUpperCase()} LLC`);
    const res = await stack.api('GET', integrationsPath(t.master.id, psa, '/organization-import/preview'), owner);
    expect(res.status).toBe(200);
    const row = res.body.organizations.find((r: any) => r.organizationId === orgId);
    expect(row).toMatchObject({ outcome: 'matched', match: { companyName: name }, billing: { values: null, fits: 2 }, values: null });
  });

  test.each([
    ['autotask', 'the contract service of the plan', () => ({ name: stack.sims.autotask.state.seed.companies.find((c) => c.id === 1000)?.companyName, values: { company: '1000', contract: '7000', contractService: '9000' }, fits: 1 })],
    ['halopsa', 'the only licence', () => haloCustomer('one')],
    ['halopsa', 'nothing when several licences fit', () => haloCustomer('several')],
  ] as const)('%s: %s', async (psa, _what, expected) => {
    const t = await seedTenants(stack.db, { organizationsPerPartner: 1 });
    const owner = t.master.users.owner;
    await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId: t.master.id, psa, organizationIds: [t.master.organizationIds[0] as string] });
    const { name, values, fits } = expected();
    expect(name).toBeTruthy();
    const orgId = await addOrg(t.master.id, t.master.planId, `The ${String(name).toLowerCase()} LLC`);
    const res = await stack.api('GET', integrationsPath(t.master.id, psa, '/organization-import/preview'), owner);
    expect(res.status).toBe(200);
    const row = res.body.organizations.find((r: any) => r.organizationId === orgId);
    expect(row).toMatchObject({ outcome: 'matched', match: { companyName: name, score: 0.95 }, billing: { values, fits }, values });
    if (psa === 'halopsa') expect(res.body.createParents.length).toBeGreaterThan(0);
    if (psa === 'autotask') expect(res.body.createNeedsPhone).toBe(true);
  });
});
