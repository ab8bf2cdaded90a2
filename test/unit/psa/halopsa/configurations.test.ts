/**
 * HaloPSA assets, asset types and customers as the simulator serves them (raw REST), and the
 * adapter's batches: a POST array is all-or-nothing with the failing element named, the answer is
 * the object for one and an array for several, an answer we cannot read is settled by lookup.
 */
import { randomUUID } from 'node:crypto';
import { PsaUnavailableError, PsaValidationError } from '../../../../psa/core/errors';
import type { PsaCompanies } from '../../../../psa/core/companies';
import type { ConfigurationWrite, PsaConfigurationItems } from '../../../../psa/core/configurations';
import { INVENTORY_FIXTURES as F, SEED_CREDENTIALS } from '../../../../sims/halopsa';
import { apiCalls, useHalo } from './helpers';

const h = useHalo();
let cfg: PsaConfigurationItems;
let companies: PsaCompanies;
beforeAll(async () => {
  const adapter = await h.adapter({ key: `halo-inventory-${randomUUID()}` });
  cfg = adapter.configurations?.({ assetGroupId: '2' }) as PsaConfigurationItems;
  companies = adapter.companies?.() as PsaCompanies;
});
beforeEach(() => {
  h.sim.clearFaults();
  h.restoreCapabilities();
});

let token: string | null = null;
async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  if (!token) {
    const t = await fetch(`${h.halo.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: SEED_CREDENTIALS.clientId, client_secret: SEED_CREDENTIALS.clientSecret, scope: 'all' }),
    });
    token = ((await t.json()) as { access_token: string }).access_token;
  }
  const res = await fetch(`${h.halo.url}/api/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* plain text */
  }
  return { status: res.status, json };
}

const device = (o: Partial<ConfigurationWrite> = {}): ConfigurationWrite => ({ deviceId: `dev-${randomUUID()}`, companyId: F.client, siteId: F.site, typeId: F.workstationType, name: 'WS', ...o });
const asset = (o: Record<string, unknown> = {}) => ({ inventory_number: `raw-${randomUUID()}`, site_id: Number(F.site), assettype_id: 1, ...o });

describe('the simulator: /Asset', () => {
  test('a POST array is saved whole or not at all; the refusal names each failing element', async () => {
    const before = h.halo.state.data.assets.length;
    const r = await raw('POST', 'Asset', [asset(), asset({ site_id: undefined }), asset({ assettype_id: 4 })]);
    expect(r.status).toBe(400);
    expect(Object.keys(r.json as object).sort()).toEqual(['[1].site_id', '[2].assettype_id']);
    expect(h.halo.state.data.assets.length).toBe(before);
  });

  test('one element answers the object, several an array; with an id it updates only what it lists', async () => {
    const one = await raw('POST', 'Asset', [asset({ key_field: 'ONE' })]);
    expect([one.status, Array.isArray(one.json)]).toEqual([201, false]);
    const id = (one.json as { id: number }).id;
    const two = await raw('POST', 'Asset', [{ id, notes: 'patched' }, asset()]);
    expect(Array.isArray(two.json) && (two.json as unknown[]).length).toBe(2);
    const got = (await raw('GET', `Asset/${id}`)).json as Record<string, unknown>;
    expect(got).toMatchObject({ key_field: 'ONE', notes: 'patched', client_id: Number(F.client) });
  });

  test('the customer follows the site; a customer that is not the site\'s is refused; NUL is refused', async () => {
    const bad = await raw('POST', 'Asset', [asset({ client_id: 102 })]);
    expect(Object.keys(bad.json as object)).toEqual(['[0].client_id']);
    const nul = await raw('POST', 'Asset', [asset({ inventory_number: 'a\u0000b' })]);
    expect(nul.status).toBe(400);
  });

  test('lastupdatefromdate filters with or without a zone; inventory_number matches exactly', async () => {
    const made = (await raw('POST', 'Asset', [asset()])).json as { id: number; inventory_number: string };
    const since = new Date(Date.now() - 60_000).toISOString();
    for (const from of [since, since.replace(/Z$/, '')]) {
      const r = (await raw('GET', `Asset?lastupdatefromdate=${encodeURIComponent(from)}&includeinactive=true`)).json as { assets: { id: number }[] };
      expect(r.assets.map((a) => a.id)).toContain(made.id);
      expect(r.assets.map((a) => a.id)).not.toContain(Number(F.existing[0].id));
    }
    const exact = (await raw('GET', `Asset?inventory_number=${made.inventory_number.toUpperCase()}`)).json as { assets: { id: number }[] };
    expect(exact.assets.map((a) => a.id)).toEqual([made.id]);
    expect(((await raw('GET', 'Asset?inventory_number=raw-')).json as { assets: unknown[] }).assets).toEqual([]);
  });

  test('asset types: a plain array; created with or without a group; duplicates refused', async () => {
    expect(Array.isArray((await raw('GET', 'AssetType')).json)).toBe(true);
    const name = `Kiosk ${randomUUID().slice(0, 4)}`;
    const made = await raw('POST', 'AssetType', [{ name }]);
    expect(made.json).toMatchObject({ name, assetgroup_id: 1 });
    expect((await raw('POST', 'AssetType', [{ name: name.toLowerCase() }])).status).toBe(400);
  });

  test('customers: created with or without a top level, each with a main site', async () => {
    const withTop = (await raw('POST', 'Client', [{ name: 'Top Co', toplevel_id: 2 }])).json as { id: number; toplevel_id: number; main_site_id: number };
    const without = (await raw('POST', 'Client', [{ name: 'Plain Co' }])).json as { id: number; toplevel_id: number };
    expect([withTop.toplevel_id, without.toplevel_id]).toEqual([2, 1]);
    const sites = (await raw('GET', `Site?client_id=${withTop.id}`)).json as { sites: { id: number; name: string }[] };
    expect(sites.sites).toEqual([expect.objectContaining({ id: withTop.main_site_id, name: 'Main' })]);
  });

  test('a Read Only role reads assets but cannot write them', async () => {
    h.halo.state.setReadOnly('assets', true);
    expect((await raw('GET', 'Asset')).status).toBe(200);
    const w = await raw('POST', 'Asset', [asset()]);
    expect(w.status).toBe(403);
    expect((w.json as { message: string }).message).toMatch(/Assets/);
  });
});

describe('the adapter', () => {
  test('an asset without a site fails alone, before any request', async () => {
    const before = h.sim.log.length;
    const [out] = await cfg.create([device({ siteId: null })]);
    expect(!out?.ok && out?.error instanceof PsaValidationError && /site/i.test(out.error.message)).toBe(true);
    expect(apiCalls(h.sim.log.slice(before)).filter((c) => c.startsWith('POST'))).toEqual([]);
  });

  test('an answer that does not list the saved assets is settled by lookup: nothing saved, retryable, then made once', async () => {
    const batch = [device(), device()];
    h.sim.addFault({ kind: 'status', status: 201, method: 'POST', path: '/api/Asset$', body: { saved: true }, times: 1 });
    const lost = await cfg.create(batch);
    for (const o of lost) expect(!o.ok && o.error instanceof PsaUnavailableError).toBe(true);
    const again = await cfg.create(batch);
    expect(again.every((o) => o.ok)).toBe(true);
    for (const d of batch) expect(h.halo.state.data.assets.filter((a) => a.inventory_number === d.deviceId)).toHaveLength(1);
  });

  test('device ids with a company: one page of its assets; without: one request per id', async () => {
    const made = await cfg.create([device(), device()]);
    const ids = await Promise.all(made.map((o) => cfg.get(o.ok ? o.id : '').then((c) => c?.deviceId as string)));
    let before = h.sim.log.length;
    await cfg.findByDeviceIds(ids, { companyId: F.client });
    expect(apiCalls(h.sim.log.slice(before)).filter((c) => c === 'GET /api/asset')).toHaveLength(1);
    before = h.sim.log.length;
    await cfg.findByDeviceIds(ids);
    expect(apiCalls(h.sim.log.slice(before)).filter((c) => c === 'GET /api/asset')).toHaveLength(2);
  });

  test('asset types created for new device types go into the configured group', async () => {
    const t = await cfg.createType(`Scanner ${randomUUID().slice(0, 4)}`);
    expect(h.halo.state.data.assetTypes.find((x) => String(x.id) === t.id)?.assetgroup_id).toBe(2);
  });

  test('deactivation never deletes', async () => {
    const [made] = await cfg.create([device()]);
    const before = h.sim.log.length;
    await cfg.deactivate([made?.ok ? made.id : '']);
    expect(apiCalls(h.sim.log.slice(before)).some((c) => c.startsWith('DELETE'))).toBe(false);
  });

  test('a customer needs a top level; the top levels are listed', async () => {
    expect((await companies.parents()).map((p) => p.id)).toEqual([F.topLevel, '2']);
    await expect(companies.create({ name: 'Orphan Co' })).rejects.toBeInstanceOf(PsaValidationError);
    const made = await companies.create({ name: 'Second Level Co', parentId: '2' });
    expect(made.company.parentId).toBe('2');
  });
});
