/**
 * The inventory half of the adapter contract (configurations, companies, contacts): the same
 * behaviours asserted for all three adapters against their simulators over real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { PsaPermissionError, PsaUnavailableError, PsaValidationError } from '../../../psa/core/errors';
import type { ConfigurationWrite, PsaConfigurationItems, WriteOutcome } from '../../../psa/core/configurations';
import { billingObjectName, type PsaCompanies } from '../../../psa/core/companies';
import { matchContact } from '../../../psa/core/contacts';
import type { PsaAdapter } from '../../../psa/core/types';
import type { ContractHarness } from './harness/types';
import { createConnectWiseHarness } from './harness/connectwise';
import { createAutotaskHarness } from './harness/autotask';
import { createHaloPsaHarness } from './harness/halopsa';

const harnesses: [string, () => ContractHarness][] = [
  ['connectwise', createConnectWiseHarness],
  ['autotask', createAutotaskHarness],
  ['halopsa', createHaloPsaHarness],
];

const okId = (o: WriteOutcome | undefined): string => {
  if (!o?.ok) throw new Error(`expected success, got ${o ? o.error.message : 'nothing'}`);
  return o.id;
};

describe.each(harnesses)('%s inventory contract', (_name, create) => {
  const h = create();
  let adapter: PsaAdapter;
  let cfg: PsaConfigurationItems;
  let companies: PsaCompanies;
  const fx = () => h.inventory;

  const device = (overrides: Partial<ConfigurationWrite> = {}): ConfigurationWrite => ({
    deviceId: `dev-${randomUUID()}`,
    companyId: fx().company,
    siteId: fx().site,
    typeId: fx().type,
    name: `WS-${randomUUID().slice(0, 8)}`,
    serialNumber: `SN-${randomUUID().slice(0, 12)}`,
    link: 'https://platform.example/devices/1',
    ...overrides,
  });

  beforeAll(async () => {
    await h.start();
    adapter = await h.adapter({ key: `inventory-${randomUUID()}` });
    cfg = adapter.configurations?.() as PsaConfigurationItems;
    companies = adapter.companies?.() as PsaCompanies;
  });
  afterAll(() => h.stop());
  beforeEach(() => {
    h.sim.clearFaults();
    h.restoreCapabilities();
  });

  test('every adapter offers configurations, companies and contacts', () => {
    expect(typeof adapter.configurations).toBe('function');
    expect(typeof adapter.companies).toBe('function');
    expect(typeof adapter.contacts).toBe('function');
    expect(cfg.traits.maxBatch).toBeGreaterThanOrEqual(1);
  });

  test('create writes every part, get reads it back, and the device id finds it', async () => {
    const d = device({ values: { [fx().ownField]: 'Windows 11 Pro', [fx().customText]: 'Gold' } });
    const [outcome] = await cfg.create([d]);
    const id = okId(outcome);
    const got = await cfg.get(id);
    expect(got).toMatchObject({ id, deviceId: d.deviceId, companyId: d.companyId, typeId: d.typeId, name: d.name, serialNumber: d.serialNumber, link: d.link, active: true });
    expect(got?.values[fx().ownField]).toBe('Windows 11 Pro');
    expect(got?.values[fx().customText]).toBe('Gold');
    expect(got?.lastModified).toEqual(expect.any(String));
    const found = await cfg.findByDeviceIds([d.deviceId, 'dev-nobody-has']);
    expect(found.get(d.deviceId)?.map((c) => c.id)).toEqual([id]);
    expect(found.get('dev-nobody-has')).toEqual([]);
    expect(h.configurationsWithDevice(d.deviceId)).toBe(1);
  });

  test('an update changes what it lists and keeps the other custom fields', async () => {
    const d = device({ values: { [fx().customText]: 'Gold' } });
    const id = okId((await cfg.create([d]))[0]);
    const current = await cfg.get(id);
    const [u] = await cfg.update([{ id, current: current ?? undefined, changes: { name: 'RENAMED', values: { [fx().customDate]: '2024-05-01' } } }]);
    expect(okId(u)).toBe(id);
    const after = await cfg.get(id);
    expect(after?.name).toBe('RENAMED');
    expect(after?.values[fx().customText]).toBe('Gold');
    expect(Date.parse(after?.values[fx().customDate] ?? '')).toBe(Date.parse('2024-05-01T00:00:00Z'));
  });

  test('deactivate keeps the configuration (never deletes), hides it from default lists, and is idempotent', async () => {
    const d = device();
    const id = okId((await cfg.create([d]))[0]);
    expect((await cfg.deactivate([id]))[0]).toEqual({ ok: true, id });
    expect((await cfg.deactivate([id]))[0]).toEqual({ ok: true, id });
    expect(await cfg.get(id)).toMatchObject({ id, active: false });
    expect(h.configurationsWithDevice(d.deviceId)).toBe(1);
    const active = await cfg.list({ companyId: fx().company, pageSize: cfg.traits.maxPageSize });
    const all: string[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await cfg.list({ companyId: fx().company, includeInactive: true, cursor });
      all.push(...page.items.map((c) => c.id));
      if (!(cursor = page.nextCursor)) break;
    }
    expect(all).toContain(id);
    expect(active.items.map((c) => c.id)).not.toContain(id);
    // Brought back by an update.
    await cfg.update([{ id, changes: { active: true } }]);
    expect((await cfg.get(id))?.active).toBe(true);
  });

  test('a company of its own pages through every configuration once, in pages', async () => {
    const { company } = await companies.create({ name: `Paging ${randomUUID()}`, ...fx().companyExtras });
    const site = (await companies.sites(company.id))[0];
    const made = await cfg.create(Array.from({ length: 7 }, () => device({ companyId: company.id, siteId: site?.id ?? null })));
    const ids = made.map(okId);
    const seen: string[] = [];
    let pages = 0;
    for (let cursor: string | null = null; ; ) {
      const page = await cfg.list({ companyId: company.id, pageSize: 3, cursor });
      seen.push(...page.items.map((c) => c.id));
      pages += 1;
      if (!(cursor = page.nextCursor) || pages > 10) break;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...ids].sort());
  });

  test('the last-modified filter returns what changed since, and not what did not', async () => {
    const since = new Date(Date.now() - 500).toISOString();
    const fresh = okId((await cfg.create([device()]))[0]);
    const [touched, untouched] = fx().existing;
    await cfg.update([{ id: touched!.id, changes: { values: { [fx().ownField]: `touched ${Date.now()}` } } }]);
    const ids: string[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await cfg.list({ modifiedSince: since, includeInactive: true, cursor });
      ids.push(...page.items.map((c) => c.id));
      for (const c of page.items) expect(Date.parse(c.lastModified ?? '')).toBeGreaterThanOrEqual(Date.parse(since) - 1000);
      if (!(cursor = page.nextCursor)) break;
    }
    expect(ids).toEqual(expect.arrayContaining([fresh, touched!.id]));
    expect(ids).not.toContain(untouched!.id);
  });

  test('an inventory that predates the sync is found by serial and by name, ignoring case', async () => {
    const [a, b] = fx().existing;
    const bySerial = await cfg.findByMatch('serialNumber', [a!.serialNumber.toLowerCase(), b!.serialNumber, 'SN-NOBODY'], { companyId: fx().company });
    expect(bySerial.get(a!.serialNumber.toLowerCase())?.map((c) => c.id)).toEqual([a!.id]);
    expect(bySerial.get(b!.serialNumber)?.map((c) => c.id)).toEqual([b!.id]);
    expect(bySerial.get('SN-NOBODY')).toEqual([]);
    const byName = await cfg.findByMatch('name', [a!.name.toUpperCase()], { companyId: fx().company });
    expect(byName.get(a!.name.toUpperCase())?.map((c) => c.id)).toEqual([a!.id]);
  });

  test('a batch uses the vendor batch form: one request per traits.maxBatch items, every item once', async () => {
    const batch = Array.from({ length: 150 }, () => device());
    const before = h.sim.log.length;
    const outcomes = await cfg.create(batch);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const writes = h.sim.log.slice(before).filter((l) => l.method === 'POST' && l.status < 300);
    expect(writes.length).toBe(Math.ceil(150 / cfg.traits.maxBatch));
    expect(h.sim.log.slice(before).some((l) => l.status === 429)).toBe(false);
    const found = await cfg.findByDeviceIds(batch.map((d) => d.deviceId), { companyId: fx().company });
    expect([...found.values()].every((list) => list.length === 1)).toBe(true);
  });

  test('one refused item fails alone with the vendor reason; the rest of its batch is saved once', async () => {
    const good = [device(), device()];
    const bad = device({ typeId: fx().inactiveType });
    const outcomes = await cfg.create([good[0]!, bad, good[1]!]);
    expect(outcomes[0]?.ok && outcomes[2]?.ok).toBe(true);
    const refused = outcomes[1];
    expect(refused?.ok).toBe(false);
    if (refused && !refused.ok) {
      expect(refused.error).toBeInstanceOf(PsaValidationError);
      expect(refused.error.retryable).toBe(false);
    }
    for (const d of good) expect(h.configurationsWithDevice(d.deviceId)).toBe(1);
    expect(h.configurationsWithDevice(bad.deviceId)).toBe(0);
  });

  test('references the PSA does not have are validation errors per item', async () => {
    const outcomes = await cfg.create([device({ companyId: '987654' }), device({ typeId: '987654' }), device({ typeId: 'not-an-id' })]);
    for (const o of outcomes) {
      expect(o.ok).toBe(false);
      if (!o.ok) expect(o.error).toBeInstanceOf(PsaValidationError);
    }
  });

  test('a write whose answer was lost is retryable, and the configuration exists exactly once', async () => {
    const batch = [device(), device(), device()];
    h.sim.addFault({ kind: 'commit_then_drop', method: 'POST', times: 1 });
    const outcomes = await cfg.create(batch);
    const lost = outcomes.filter((o) => !o.ok);
    expect(lost.length).toBeGreaterThan(0);
    for (const o of lost) if (!o.ok) expect(o.error).toBeInstanceOf(PsaUnavailableError);
    // What a retry does first: ask by device id.
    const found = await cfg.findByDeviceIds(batch.map((d) => d.deviceId));
    for (const d of batch) {
      expect(found.get(d.deviceId)).toHaveLength(1);
      expect(h.configurationsWithDevice(d.deviceId)).toBe(1);
    }
  });

  test('without the add/edit right every write is a PsaPermissionError naming the right; reads still work', async () => {
    const existing = fx().existing[0]!;
    h.revokeConfigurationRight('write');
    const fresh = adapter.configurations?.() as PsaConfigurationItems;
    const [created] = await fresh.create([device()]);
    expect(created?.ok).toBe(false);
    if (created && !created.ok) {
      expect(created.error).toBeInstanceOf(PsaPermissionError);
      expect(created.error.message).toContain(fx().rightWords);
    }
    const [deactivated] = await fresh.deactivate([existing.id]);
    expect(deactivated?.ok).toBe(false);
    expect((await fresh.get(existing.id))?.active).toBe(true);
  });

  test('without the right at all, reads throw a PsaPermissionError naming it and checkRights reports it', async () => {
    h.revokeConfigurationRight('all');
    const fresh = (await h.adapter({ key: `norights-${randomUUID()}` })).configurations?.() as PsaConfigurationItems;
    const err = await fresh.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PsaPermissionError);
    expect((err as Error).message).toContain(fx().rightWords);
    const missing = await fresh.checkRights();
    expect(missing.map((m) => m.right).join(' ')).toContain(fx().rightWords);
    h.restoreCapabilities();
    expect(await fresh.checkRights()).toEqual([]);
  });

  test('types are listed, created when missing, and created once', async () => {
    const types = await cfg.listTypes();
    expect(types.map((t) => t.id)).toContain(fx().type);
    expect(types.find((t) => t.id === fx().inactiveType)?.active).toBe(false);
    const name = `Tablet ${randomUUID().slice(0, 6)}`;
    const made = await cfg.createType(name);
    expect(made).toMatchObject({ name, active: true });
    expect((await cfg.createType(name.toUpperCase())).id).toBe(made.id);
    expect((await cfg.listTypes()).filter((t) => t.name.toLowerCase() === name.toLowerCase())).toHaveLength(1);
    const d = device({ typeId: made.id });
    expect((await cfg.create([d]))[0]?.ok).toBe(true);
  });

  test('the field catalog offers own fields and custom fields, and every key in it can be written', async () => {
    const catalog = await cfg.fieldCatalog();
    const keys = catalog.map((f) => f.key);
    expect(keys).toEqual(expect.arrayContaining([fx().ownField, fx().customText, fx().customDate]));
    expect(new Set(keys).size).toBe(keys.length);
    const texts = catalog.filter((f) => f.dataType === 'text');
    const values = Object.fromEntries(texts.map((f) => [f.key, 'v']));
    const [outcome] = await cfg.create([device({ values })]);
    expect(outcome?.ok).toBe(true);
    await expect(cfg.create([device({ values: { 'field:noSuchField': 'x' } })]).then((o) => o[0]?.ok)).resolves.toBe(false);
  });

  test('hostile values: NUL and control characters are dropped, long names cut to the PSA limit, unicode kept whole', async () => {
    const long = `${'Ünïcødé 💻 日本 '.repeat(40)}\u0000tail`;
    const lone = `A\ud800B`;
    const [a, b] = await cfg.create([device({ name: long }), device({ name: lone, serialNumber: 'SN\u0007-1' })]);
    const first = await cfg.get(okId(a));
    expect(first?.name).not.toContain('\u0000');
    expect(first?.name.startsWith('Ünïcødé 💻 日本')).toBe(true);
    expect(first?.name.length).toBeLessThanOrEqual(255);
    expect(first?.name.length).toBeGreaterThanOrEqual(100);
    expect(/[\ud800-\udbff]$/.test(first?.name ?? '')).toBe(false);
    const second = await cfg.get(okId(b));
    expect(second?.name).toBe('A\ufffdB');
    expect(second?.serialNumber).toBe('SN-1');
  });

  test('device ids are taken literally: quotes, backslashes and percent signs find their own configuration only', async () => {
    const odd = [`dev-"quoted"-${randomUUID()}`, `dev-back\\slash-${randomUUID()}`, `dev-%zz-${randomUUID()}`, `dev-') or ('1'='1-${randomUUID()}`];
    const outcomes = await cfg.create(odd.map((deviceId) => device({ deviceId })));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const found = await cfg.findByDeviceIds([...odd, '*', '%', '"']);
    for (const id of odd) expect(found.get(id)).toHaveLength(1);
    for (const wild of ['*', '%', '"']) expect(found.get(wild)).toEqual([]);
    const [bad] = await cfg.create([device({ deviceId: 'dev\u0000nul' })]);
    expect(bad?.ok).toBe(false);
    if (bad && !bad.ok) expect(bad.error).toBeInstanceOf(PsaValidationError);
  });

  test('companies page without repeats, search narrows, and a create is found by its name and made once', async () => {
    const ids: string[] = [];
    let pages = 0;
    for (let cursor: string | null = null; ; ) {
      const page = await companies.list({ pageSize: 25, cursor });
      ids.push(...page.items.map((c) => c.id));
      pages += 1;
      if (!(cursor = page.nextCursor) || pages > 40) break;
    }
    expect(pages).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(ids.length);
    const searched = await companies.list({ search: 'dental' });
    expect(searched.items.length).toBeGreaterThan(0);
    for (const c of searched.items) expect(c.name.toLowerCase()).toContain('dental');

    const name = `Müller & Söhne ${randomUUID().slice(0, 6)} GmbH`;
    const first = await companies.create({ name, ...fx().companyExtras });
    expect(first.created).toBe(true);
    expect(first.company.name).toBe(name);
    const again = await companies.create({ name: `  ${name.toUpperCase()} `, ...fx().companyExtras });
    expect(again).toEqual({ company: expect.objectContaining({ id: first.company.id }), created: false });
    expect((await companies.findByName(name.toLowerCase())).map((c) => c.id)).toEqual([first.company.id]);
    expect(await companies.findByName('No Such Company Anywhere')).toEqual([]);
  });

  test('a company name with NUL or beyond the PSA limit is cleaned and cut, not refused', async () => {
    const name = `Hostile\u0000 ${'Corp '.repeat(80)}`;
    const made = await companies.create({ name, ...fx().companyExtras });
    expect(made.company.name).not.toContain('\u0000');
    expect(made.company.name.length).toBeLessThanOrEqual(companies.traits.nameMax);
    expect(made.company.name.startsWith('Hostile Corp')).toBe(true);
  });

  test("a company's sites include its main site; companies need what the traits say", async () => {
    const sites = await companies.sites(fx().company);
    expect(sites.map((s) => s.id)).toContain(fx().site);
    if (companies.traits.parentRequired) {
      await expect(companies.create({ name: `Orphan ${randomUUID()}` })).rejects.toBeInstanceOf(PsaValidationError);
      expect((await companies.parents()).length).toBeGreaterThan(0);
    }
    if (companies.traits.phoneRequired) {
      await expect(companies.create({ name: `No phone ${randomUUID()}`, ...fx().companyExtras, phone: '' })).rejects.toBeInstanceOf(PsaValidationError);
    }
    expect(await companies.checkRights()).toEqual([]);
  });

  test('the last logged-in user names a contact by its whole value or the part after the backslash', async () => {
    const contacts = await adapter.contacts?.().listForCompany(fx().company);
    expect(contacts?.length).toBeGreaterThan(0);
    for (const login of fx().contact.lastLoggedIn) expect(matchContact(login, contacts ?? [])?.id).toBe(fx().contact.id);
    expect(matchContact('HL-LPT-00112\\Nobody Here', contacts ?? [])).toBeNull();
    const d = device({ contactId: fx().contact.id });
    const id = okId((await cfg.create([d]))[0]);
    expect((await cfg.get(id))?.contactId).toBe(fx().contact.id);
  });

  test("a new company's billing object is made for the plan once, billed at the seats, and is the one the preview proposes", async () => {
    const { company } = await companies.create({ name: `Billing ${randomUUID().slice(0, 8)}`, ...fx().companyExtras });
    const planName = `Plan ${randomUUID().slice(0, 6)}`;
    const setup = { companyId: company.id, plan: h.fixtures.planMapping, planName, seats: 7 };
    h.sim.log.length = 0;
    const first = await companies.ensureBilling(setup);
    expect(first.created).toBe(true);
    expect(first.values).toEqual(expect.objectContaining(Object.fromEntries(Object.keys(h.fixtures.organization).map((k) => [k, expect.stringMatching(/^\d+$/)]))));
    expect(Object.keys(first.values).sort()).toEqual(Object.keys(h.fixtures.organization).sort());
    expect(await adapter.getQuantity(first.values)).toBe(7);
    const writes = h.sim.log.filter((e) => e.method === 'POST' && !/\/query/i.test(e.path)).length;

    // A retried step finds ours by its name and makes nothing.
    h.sim.log.length = 0;
    const again = await companies.ensureBilling(setup);
    expect(again).toEqual({ values: first.values, created: false });
    expect(h.sim.log.filter((e) => e.method === 'POST' && !/\/query/i.test(e.path))).toHaveLength(0);
    expect(writes).toBeGreaterThan(0);
    expect(await companies.proposeBilling([{ companyId: company.id, plan: h.psa === 'halopsa' ? null : h.fixtures.planMapping }])).toEqual([{ values: first.values, fits: 1 }]);
    expect(billingObjectName(planName)).toBe(`${planName} (psa-sync)`);
  });

  test('a billing object the PSA refuses comes back as a validation error naming the field', async () => {
    const { company } = await companies.create({ name: `Refused ${randomUUID().slice(0, 8)}`, ...fx().companyExtras });
    const setup = { companyId: company.id, plan: h.fixtures.planMapping, planName: 'Refused plan', seats: 1 };
    const refusal = await companies
      .ensureBilling(h.psa === 'connectwise' ? { ...setup, agreementType: 'No Such Type' } : h.psa === 'autotask' ? { ...setup, contractCategory: 'No Such Category' } : { ...setup, companyId: '99999999' })
      .then(() => null, (err: unknown) => err);
    expect(refusal).toBeInstanceOf(PsaValidationError);
    expect(String((refusal as Error).message)).toMatch(h.psa === 'connectwise' ? /No Such Type/ : h.psa === 'autotask' ? /No Such Category/ : /Customer/i);
  });
});

