/**
 * ConnectWise configurations, companies and contacts as the simulator serves them (raw HTTPS),
 * and the adapter's handling of what is unsettled about them: the bulk answer's shape, a PSA
 * without the bulk form, custom fields replaced as a whole array, identifiers already taken.
 */
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { PsaUnavailableError } from '../../../../psa/core/errors';
import type { PsaCompanies } from '../../../../psa/core/companies';
import type { ConfigurationWrite, PsaConfigurationItems } from '../../../../psa/core/configurations';
import { identifierCandidates } from '../../../../psa/connectwise/companies';
import { inLists } from '../../../../psa/connectwise/configurations';
import { INVENTORY_FIXTURES as F, SEED_CREDENTIALS as C } from '../../../../sims/connectwise';
import { createConnectWiseHarness } from '../harness/connectwise';

const h = createConnectWiseHarness();
let cfg: PsaConfigurationItems;
let companies: PsaCompanies;
beforeAll(async () => {
  await h.start();
  const adapter = await h.adapter({ key: `cw-inventory-${randomUUID()}` });
  cfg = adapter.configurations?.() as PsaConfigurationItems;
  companies = adapter.companies?.() as PsaCompanies;
});
afterAll(() => h.stop());
beforeEach(() => h.sim.reset());

interface Raw {
  status: number;
  body: unknown;
}

function call(method: string, path: string, opts: { query?: Record<string, string>; json?: unknown } = {}): Promise<Raw> {
  const url = new URL(`${h.cw.url}/v2025_1/apis/3.0/${path}`);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const payload = opts.json === undefined ? undefined : JSON.stringify(opts.json);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: h.cw.ca,
        headers: {
          authorization: `Basic ${Buffer.from(`${C.companyId}+${C.publicKey}:${C.privateKey}`).toString('base64')}`,
          clientid: C.clientId,
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const fieldsOf = (r: Raw) => ((r.body as { errors?: { field?: string; code?: string }[] }).errors ?? []).map((e) => `${e.field}:${e.code}`);
const base = { name: 'WS-1', type: { id: 1 }, company: { id: 250 } };
const device = (o: Partial<ConfigurationWrite> = {}): ConfigurationWrite => ({ deviceId: `dev-${randomUUID()}`, companyId: F.company, typeId: F.workstationType, name: 'WS', ...o });

describe('the simulator: company/configurations', () => {
  test('name, type and company are required; each missing one is NullValue on its field', async () => {
    for (const missing of ['name', 'type', 'company'] as const) {
      const body: Record<string, unknown> = { ...base };
      delete body[missing];
      const r = await call('POST', 'company/configurations', { json: body });
      expect(r.status).toBe(400);
      expect((r.body as { code: string }).code).toBe('InvalidObject');
      expect(fieldsOf(r)).toContain(`${missing}:NullValue`);
    }
    const ok = await call('POST', 'company/configurations', { json: base });
    expect(ok.status).toBe(201);
    // Without a status the default status is used.
    expect(ok.body).toMatchObject({ status: { id: 1, name: 'Active' }, activeFlag: true });
  });

  test('lengths, NUL, inactive types and another company\'s site are refused', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x'.repeat(101) }, 'name:InvalidField'],
      [{ serialNumber: 'x'.repeat(251) }, 'serialNumber:InvalidField'],
      [{ deviceIdentifier: 'a\u0000b' }, 'deviceIdentifier:InvalidField'],
      [{ type: { id: 7 } }, 'type:InvalidField'],
      [{ site: { id: 1251 } }, 'site:InvalidField'],
      [{ customFields: [{ id: 3, value: 'yes' }] }, 'customFields:InvalidField'],
    ];
    for (const [extra, expected] of cases) {
      const r = await call('POST', 'company/configurations', { json: { ...base, ...extra } });
      expect([r.status, fieldsOf(r)]).toEqual([400, expect.arrayContaining([expected])]);
    }
  });

  test('PATCH replaces custom fields as a whole array, ignores paths below a field, and stamps lastUpdated', async () => {
    const made = (await call('POST', 'company/configurations', { json: { ...base, customFields: [{ id: 1, value: 'Gold' }, { id: 3, value: true }] } })).body as { id: number };
    const patched = await call('PATCH', `company/configurations/${made.id}`, {
      json: [
        { op: 'replace', path: 'customFields', value: [{ id: 2, value: '2024-01-01T00:00:00Z' }] },
        { op: 'replace', path: 'company/id', value: 999 },
      ],
    });
    expect(patched.status).toBe(200);
    const cf = (patched.body as { customFields: { id: number; value: unknown }[]; company: { id: number } }).customFields;
    expect(cf.map((f) => [f.id, f.value])).toEqual([[1, null], [2, '2024-01-01T00:00:00Z'], [3, null]]);
    expect((patched.body as { company: { id: number } }).company.id).toBe(250);
  });

  test('a configuration carries the questions of its type; answers are checked; a new type brings its own', async () => {
    const qs = await call('GET', 'company/configurations/types/1/questions');
    expect((qs.body as { question: string }[]).map((q) => q.question)).toEqual(['Backup agent installed?', 'Disk encryption']);
    const bad = await call('POST', 'company/configurations', { json: { ...base, questions: [{ questionId: 1, answer: 'maybe' }] } });
    expect(fieldsOf(bad)).toContain('questions:InvalidField');
    const foreign = await call('POST', 'company/configurations', { json: { ...base, questions: [{ questionId: 3, answer: '30' }] } });
    expect(fieldsOf(foreign)).toContain('questions:InvalidField');
    const made = (await call('POST', 'company/configurations', { json: { ...base, questions: [{ questionId: 1, answer: 'true' }] } })).body as { id: number; questions: { questionId: number; answer: string | null }[] };
    expect(made.questions).toEqual([expect.objectContaining({ questionId: 1, answer: 'true' }), expect.objectContaining({ questionId: 2, answer: null })]);
    const retyped = (await call('PATCH', `company/configurations/${made.id}`, { json: [{ op: 'replace', path: 'type', value: { id: 2 } }] })).body as { questions: { questionId: number; answer: null }[] };
    expect(retyped.questions).toEqual([expect.objectContaining({ questionId: 3, answer: null })]);
  });

  test('lastUpdated and _info/lastUpdated both filter; the seeded inventory is older', async () => {
    const made = (await call('POST', 'company/configurations', { json: base })).body as { id: number };
    for (const field of ['lastUpdated', '_info/lastUpdated']) {
      const r = await call('GET', 'company/configurations', { query: { conditions: `${field} >= [2025-06-01T00:00:00Z]`, pageSize: '1000' } });
      expect(r.status).toBe(200);
      expect((r.body as { id: number }[]).map((c) => c.id)).toEqual([made.id]);
    }
  });

  test('bulk: 207 with one answer per item in order; more than the cap, or not an array, is 400', async () => {
    const r = await call('POST', 'company/configurations/bulk', { json: [base, { ...base, type: { id: 999 } }] });
    expect(r.status).toBe(207);
    expect((r.body as { statusCode: number }[]).map((x) => x.statusCode)).toEqual([201, 400]);
    expect((await call('POST', 'company/configurations/bulk', { json: base })).status).toBe(400);
    expect((await call('POST', 'company/configurations/bulk', { json: Array.from({ length: 1001 }, () => base) })).status).toBe(400);
  });

  test('the security role decides: Inquire to read, Add to create, Table Setup to add a type, Delete to delete', async () => {
    h.cw.state.revokeRight('Companies > Configurations', ['add', 'delete']);
    expect((await call('GET', 'company/configurations')).status).toBe(200);
    const denied = await call('POST', 'company/configurations', { json: base });
    expect(denied.status).toBe(403);
    expect((denied.body as { message: string }).message).toContain('Companies > Configurations (Add)');
    expect((await call('DELETE', `company/configurations/${F.existing[0].id}`)).status).toBe(403);
    h.cw.state.revokeRight('System > Table Setup', ['add']);
    expect((await call('POST', 'company/configurations/types', { json: { name: 'Phones' } })).status).toBe(403);
    h.cw.state.revokeRight('Companies > Contacts');
    expect((await call('GET', 'company/contacts')).status).toBe(403);
  });

  test('company create: identifier and name required, identifier unique (ObjectExists), and a Main site', async () => {
    expect(fieldsOf(await call('POST', 'company/companies', { json: { name: 'No Identifier' } }))).toContain('identifier:NullValue');
    expect(fieldsOf(await call('POST', 'company/companies', { json: { identifier: 'TooLong', name: 'x'.repeat(51) } }))).toContain('name:InvalidField');
    const taken = await call('POST', 'company/companies', { json: { identifier: 'northwindtra', name: 'Someone Else' } });
    expect(fieldsOf(taken)).toContain('identifier:ObjectExists');
    const made = await call('POST', 'company/companies', { json: { identifier: 'NewCo', name: 'New Co' } });
    expect(made.status).toBe(201);
    const sites = await call('GET', `company/companies/${(made.body as { id: number }).id}/sites`);
    expect((sites.body as { name: string }[]).map((s) => s.name)).toEqual(['Main']);
  });
});

describe('the adapter', () => {
  test('an unreadable bulk answer is settled by reading back by device id', async () => {
    const batch = [device(), device()];
    // The PSA saved nothing but answered 207 with a body we cannot read per item.
    h.sim.addFault({ kind: 'status', status: 207, method: 'POST', path: 'bulk', body: { result: 'accepted' }, times: 1 });
    const lost = await cfg.create(batch);
    for (const o of lost) expect(!o.ok && o.error instanceof PsaUnavailableError && o.error.retryable).toBe(true);
    const again = await cfg.create(batch);
    expect(again.every((o) => o.ok)).toBe(true);
    for (const d of batch) expect(h.configurationsWithDevice(d.deviceId)).toBe(1);
  });

  test('a PSA without the bulk form gets one POST per configuration', async () => {
    h.sim.addFault({ kind: 'status', status: 404, method: 'POST', path: 'bulk$', body: { code: 'NotFound', message: 'Not found', errors: null }, times: 1 });
    const before = h.sim.log.length;
    const out = await cfg.create([device(), device(), device()]);
    expect(out.every((o) => o.ok)).toBe(true);
    expect(h.sim.log.slice(before).filter((l) => l.method === 'POST' && /configurations$/i.test(l.path))).toHaveLength(3);
  });

  test('a custom-field update without the current record reads it first, so other custom fields survive', async () => {
    const [made] = await cfg.create([device({ values: { 'custom:1': 'Gold', 'custom:3': 'true' } })]);
    const id = made?.ok ? made.id : '';
    await cfg.update([{ id, changes: { values: { 'custom:2': '2024-02-02' } } }]);
    const after = await cfg.get(id);
    expect(after?.values).toMatchObject({ 'custom:1': 'Gold', 'custom:3': 'true', 'custom:2': '2024-02-02T00:00:00Z' });
  });

  test('moving a configuration to another company clears the old site', async () => {
    const [made] = await cfg.create([device({ siteId: F.site })]);
    const id = made?.ok ? made.id : '';
    const [moved] = await cfg.update([{ id, changes: { companyId: '251' } }]);
    expect(moved?.ok).toBe(true);
    expect(await cfg.get(id)).toMatchObject({ companyId: '251', siteId: null });
  });

  test('device-id lookups stay under the URL budget: one GET per in-list', async () => {
    const ids = Array.from({ length: 100 }, () => `dev-${randomUUID()}`);
    const lists = inLists('deviceIdentifier', ids, 'company/id=250');
    expect(lists.length).toBeGreaterThan(1);
    for (const l of lists) expect(l.length).toBeLessThanOrEqual(1400);
    expect(lists.join(' ').match(/dev-/g)).toHaveLength(100);
    const before = h.sim.log.length;
    await cfg.findByDeviceIds(ids, { companyId: '250' });
    expect(h.sim.log.length - before).toBe(lists.length);
  });

  test('a company identifier held by another company moves on to the next one; ours is adopted', async () => {
    expect(identifierCandidates('Müller & Söhne GmbH').slice(0, 2)).toEqual(['MullerSohneGmbH', 'MullerSohneGmbH2']);
    await call('POST', 'company/companies', { json: { identifier: 'AcmeWidgets', name: 'Someone Else Entirely' } });
    const first = await companies.create({ name: 'Acme Widgets' });
    expect(first).toMatchObject({ created: true, company: { identifier: 'AcmeWidgets2', name: 'Acme Widgets' } });
    // The answer of a create was lost: the retry finds its identifier taken by the same name.
    const again = await companies.create({ name: 'Acme Widgets', identifier: 'AcmeWidgets2' });
    expect(again).toEqual({ created: false, company: first.company });
  });

  test('a name with double quotes is matched exactly without quoting it into the conditions', async () => {
    await call('POST', 'company/companies', { json: { identifier: 'Quoted', name: 'The "Best" Bakery' } });
    expect((await companies.findByName('the "best" bakery')).map((c) => c.identifier)).toEqual(['Quoted']);
  });
});
