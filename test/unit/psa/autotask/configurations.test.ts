/**
 * Autotask configuration items, products and companies as the simulator serves them (raw REST),
 * and what the adapter does with Autotask's limits: no delete, a company fixed at creation, one
 * UDF per query (and maybe no `in` on it), 3 requests in flight per entity.
 */
import { randomUUID } from 'node:crypto';
import { PsaConfigError, PsaValidationError } from '../../../../psa/core/errors';
import type { ConfigurationWrite, PsaConfigurationItems } from '../../../../psa/core/configurations';
import { autotaskFactory } from '../../../../psa/autotask';
import { INVENTORY_FIXTURES as F, SEED_CREDENTIALS, startAutotaskSim } from '../../../../sims/autotask';
import { LOOPBACK_POLICY } from '../harness/autotask';
import { apiCalls, useAutotaskSim } from './helpers';

const sim = useAutotaskSim({ latencyMs: 15 });
const device = (o: Partial<ConfigurationWrite> = {}): ConfigurationWrite => ({ deviceId: `dev-${randomUUID()}`, companyId: F.company, typeId: F.workstationProduct, name: 'WS', ...o });
const configurations = async (options = {}) => (await sim.adapter()).configurations?.(options) as PsaConfigurationItems;
const errorsOf = (r: { json: unknown }) => (r.json as { errors: string[] }).errors.join(' | ');

describe('the simulator: ConfigurationItems', () => {
  test('companyID, productID and isActive are required; the default category applies', async () => {
    const r = await sim.raw('POST', 'ConfigurationItems', { referenceTitle: 'x' });
    expect(r.status).toBe(500);
    for (const f of ['companyID', 'productID', 'isActive']) expect(errorsOf(r)).toContain(`Missing Required Field: ${f}`);
    const ok = await sim.raw('POST', 'ConfigurationItems', { companyID: 1000, productID: 601, isActive: true });
    const id = (ok.json as { itemId: number }).itemId;
    const item = await sim.raw('GET', `ConfigurationItems/${id}`);
    expect(item.json).toMatchObject({ item: { configurationItemCategoryID: 1, isActive: true } });
  });

  test('there is no delete: 405, and the item is still there', async () => {
    const r = await sim.raw('DELETE', `ConfigurationItems/${F.existing[0].id}`);
    expect(r.status).toBe(405);
    expect(errorsOf(r)).toMatch(/isActive/);
    expect((await sim.raw('GET', `ConfigurationItems/${F.existing[0].id}`)).status).toBe(200);
  });

  test('companyID cannot change on update; the same value is fine', async () => {
    const moved = await sim.raw('PATCH', 'ConfigurationItems', { id: Number(F.existing[0].id), companyID: 1001 });
    expect(moved.status).toBe(500);
    expect(errorsOf(moved)).toMatch(/companyID cannot be changed/);
    expect((await sim.raw('PATCH', 'ConfigurationItems', { id: Number(F.existing[0].id), companyID: 1000, referenceTitle: 'same company' })).status).toBe(200);
  });

  test('rmm audit fields are read-only to an integration: written values are ignored, the metadata says so', async () => {
    const ok = await sim.raw('POST', 'ConfigurationItems', { companyID: 1000, productID: 601, isActive: true, rmmDeviceAuditHostname: 'SET-BY-US' });
    const item = await sim.raw('GET', `ConfigurationItems/${(ok.json as { itemId: number }).itemId}`);
    expect((item.json as { item: Record<string, unknown> }).item.rmmDeviceAuditHostname).toBeNull();
    const fields = (await sim.raw('GET', 'ConfigurationItems/entityInformation/fields')).json as { fields: { name: string; isReadOnly: boolean; isQueryable: boolean }[] };
    expect(fields.fields.find((f) => f.name === 'rmmDeviceAuditHostname')?.isReadOnly).toBe(true);
    expect(fields.fields.find((f) => f.name === 'lastModifiedTime')?.isQueryable).toBe(true);
  });

  test('UDFs: unknown labels are refused, one UDF per query, PATCH merges by label', async () => {
    expect(errorsOf(await sim.raw('POST', 'ConfigurationItems', { companyID: 1000, productID: 601, isActive: true, userDefinedFields: [{ name: 'Nope', value: 'x' }] }))).toMatch(/Nope does not exist/);
    const two = await sim.raw('POST', 'ConfigurationItems/query', {
      Filter: [{ op: 'eq', field: 'Platform Device ID', udf: true, value: 'a' }, { op: 'eq', field: 'Backup Plan', udf: true, value: 'b' }],
    });
    expect([two.status, errorsOf(two)]).toEqual([500, expect.stringMatching(/one user-defined field/i)]);
    const id = Number(F.existing[0].id);
    await sim.raw('PATCH', 'ConfigurationItems', { id, userDefinedFields: [{ name: 'Backup Plan', value: 'Gold' }] });
    await sim.raw('PATCH', 'ConfigurationItems', { id, userDefinedFields: [{ name: 'platform device id', value: 'dev-x' }] });
    const udfs = ((await sim.raw('GET', `ConfigurationItems/${id}`)).json as { item: { userDefinedFields: { name: string; value: string }[] } }).item.userDefinedFields;
    expect(Object.fromEntries(udfs.map((u) => [u.name, u.value]))).toMatchObject({ 'Backup Plan': 'Gold', 'Platform Device ID': 'dev-x' });
  });

  test('lastModifiedTime compares as an instant whatever its fractional seconds', async () => {
    const after = new Date(Date.now() - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await sim.raw('POST', 'ConfigurationItems', { companyID: 1000, productID: 601, isActive: true });
    const r = await sim.raw('POST', 'ConfigurationItems/query', { Filter: [{ op: 'gt', field: 'lastModifiedTime', value: after }] });
    expect((r.json as { items: unknown[] }).items).toHaveLength(1);
  });

  test('products need a billing code; companies need a type, an owner and a phone', async () => {
    const p = await sim.raw('POST', 'Products', { name: 'X', isActive: true, isSerialized: true });
    expect(errorsOf(p)).toMatch(/productBillingCodeID/);
    const c = await sim.raw('POST', 'Companies', { companyName: 'New Co', companyType: 1 });
    expect(errorsOf(c)).toMatch(/ownerResourceID.*phone|phone.*ownerResourceID/s);
  });
});

describe('the adapter', () => {
  test('a missing device-id UDF is a configuration error for every item, sent nowhere', async () => {
    const cfg = await configurations({ deviceIdUdf: 'No Such UDF' });
    const before = sim.sim.server.log.length;
    const out = await cfg.create([device(), device()]);
    for (const o of out) expect(!o.ok && o.error instanceof PsaConfigError && /No Such UDF/.test(o.error.message)).toBe(true);
    expect(apiCalls(sim.sim.server.log.slice(before)).filter((c) => c.startsWith('POST /configurationitems'))).toEqual([]);
  });

  test('writes keep to 3 in flight on the entity and never meet a 429', async () => {
    const cfg = await configurations();
    sim.sim.peakInFlight.clear();
    const out = await cfg.create(Array.from({ length: 24 }, () => device()));
    expect(out.every((o) => o.ok)).toBe(true);
    const peak = Math.max(...[...sim.sim.peakInFlight.entries()].filter(([k]) => k.endsWith(':configurationitems')).map(([, v]) => v));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
    expect(sim.sim.server.log.some((l) => l.status === 429)).toBe(false);
  });

  test('where Autotask refuses `in` on a UDF, device ids are looked up one query each, with the same answer', async () => {
    const cfg = await configurations();
    const made = await cfg.create([device(), device(), device()]);
    const ids = made.map((o) => (o.ok ? o.id : ''));
    const deviceIds = (await Promise.all(ids.map((id) => cfg.get(id)))).map((c) => c?.deviceId as string);
    const before = sim.sim.server.log.length;
    const inOne = await cfg.findByDeviceIds(deviceIds);
    expect(apiCalls(sim.sim.server.log.slice(before))).toEqual(['POST /configurationitems/query']);
    expect([...inOne.values()].map((l) => l.length)).toEqual([1, 1, 1]);
    const strict = await startAutotaskSim({ udfInOperator: false });
    try {
      const a = await autotaskFactory.create({ ...SEED_CREDENTIALS }, { connectionKey: `strict-${randomUUID()}`, urlPolicy: LOOPBACK_POLICY, autotaskZoneLookupUrl: strict.url });
      const c = a.configurations?.() as PsaConfigurationItems;
      const made2 = await c.create([device(), device()]);
      const ids2 = await Promise.all(made2.map((o) => c.get(o.ok ? o.id : '').then((x) => x?.deviceId as string)));
      strict.server.log.length = 0;
      const found = await c.findByDeviceIds([...ids2, 'dev-none']);
      expect([...found.values()].map((l) => l.length)).toEqual([1, 1, 0]);
      // The refused `in`, then one `eq` per id; later lookups go straight to `eq`.
      expect(strict.server.log.map((l) => l.status)).toEqual([500, 200, 200, 200]);
      strict.server.log.length = 0;
      await c.findByDeviceIds(ids2);
      expect(strict.server.log.map((l) => l.status)).toEqual([200, 200]);
    } finally {
      await strict.close();
    }
  });

  test('a company change is refused before any request, naming the rule', async () => {
    const cfg = await configurations();
    const current = await cfg.get(F.existing[0].id);
    const before = sim.sim.server.log.length;
    const [out] = await cfg.update([{ id: F.existing[0].id, current: current ?? undefined, changes: { companyId: '1001' } }]);
    expect(!out?.ok && out?.error instanceof PsaValidationError && /another company/.test(out.error.message)).toBe(true);
    expect(sim.sim.server.log.length).toBe(before);
  });

  test('products created as types use the first active billing code; rmm fields are not offered', async () => {
    const cfg = await configurations();
    const t = await cfg.createType(`Phone ${randomUUID().slice(0, 4)}`);
    const p = await sim.raw('GET', `Products/${t.id}`);
    expect((p.json as { item: { productBillingCodeID: number } }).item.productBillingCodeID).toBe(Number(F.billingCode));
    expect((await cfg.fieldCatalog()).map((f) => f.key).filter((k) => k.includes('rmm'))).toEqual([]);
  });
});
