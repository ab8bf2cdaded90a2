/**
 * Listing as ConnectWise does it: the conditions grammar, navigable paging with RFC 5988 Link
 * headers, forward-only paging with pageId, fields, orderBy, /count and POST …/search. Driven
 * over HTTPS with a raw client, and through the adapter's ConnectWiseApi walkers.
 */
import https from 'node:https';
import { ConditionError, matches, parseConditions } from '../../../../sims/connectwise/conditions';
import { ConnectWiseApi, cwString, nextPageFromLink } from '../../../../psa/connectwise/api';
import { companySchema } from '../../../../psa/connectwise/schemas';
import { PsaHttpClient } from '../../../../psa/core/http';
import { RateGovernor } from '../../../../psa/core/governor';
import { mapConnectWiseError } from '../../../../psa/connectwise';
import { SEED_CREDENTIALS as C } from '../../../../sims/connectwise';
import { createConnectWiseHarness } from '../harness/connectwise';

const h = createConnectWiseHarness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.sim.reset());

interface Raw {
  status: number;
  link: string | undefined;
  body: unknown;
}

function call(method: string, path: string, opts: { query?: Record<string, string>; headers?: Record<string, string>; json?: unknown } = {}): Promise<Raw> {
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
          ...opts.headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, link: res.headers.link as string | undefined, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const ids = (r: Raw) => (r.body as { id: number }[]).map((x) => x.id);
const rels = (link: string | undefined) => [...(link ?? '').matchAll(/rel="(\w+)"/g)].map((m) => m[1]);

describe('conditions grammar (parser)', () => {
  const rec = { id: 5, name: 'Help "Desk"', closedFlag: false, board: { id: 1, name: 'Help Desk' }, at: '2025-01-06T09:00:00Z', none: null };
  it.each([
    ['id = 5', true],
    ['id != 5', false],
    ['id >= 5 and id < 6', true],
    ['id > 5 or board/id = 1', true],
    ['ID = 4 OR id = 5 AND closedFlag = true', false],
    ['(id = 4 or id = 5) and closedFlag = false', true],
    ['board/name = "help desk"', true],
    ['board/name like "Help*"', true],
    ['board/name like "%desk"', true],
    ['board/name not like "Alert%"', true],
    ['name contains "\\"Desk\\""', true],
    ['id in (1, 5, 9)', true],
    ['id not in (1, 9)', true],
    ['at > [2025-01-01T00:00:00Z]', true],
    ['none = null', true],
    ['closedFlag = true', false],
  ])('%s → %s', (text, expected) => {
    expect(matches(rec, parseConditions(text))).toBe(expected);
  });

  it.each(['', 'id =', 'id = Help', 'id 5', '(id = 5', 'id in 5', 'name = "open', 'id = 5 and', 'id ! 5', 'id = 5)'])('rejects %j', (text) => {
    expect(() => parseConditions(text)).toThrow(ConditionError);
  });

  it('quotes strings the way the grammar reads them back', () => {
    const tricky = 'a "quoted" \\ value';
    expect(matches({ x: tricky }, parseConditions(`x = ${cwString(tricky)}`))).toBe(true);
  });
});

describe('navigable paging over HTTPS', () => {
  it('defaults to 25 per page with first/next/last links and no prev on page 1', async () => {
    const r = await call('GET', 'company/companies');
    expect(r.status).toBe(200);
    expect(ids(r)).toHaveLength(25);
    expect(rels(r.link)).toEqual(['first', 'next', 'last']);
    expect(nextPageFromLink(r.link)).toBe(2);
  });

  it('follows next links to the end, where next is omitted', async () => {
    const all: number[] = [];
    let page: number | null = 1;
    while (page !== null) {
      const r = await call('GET', 'company/companies', { query: { page: String(page), pageSize: '20' } });
      all.push(...ids(r));
      page = nextPageFromLink(r.link);
      if (page === null) expect(rels(r.link)).toEqual(['first', 'prev', 'last']);
    }
    expect(all).toHaveLength(66);
    expect(new Set(all).size).toBe(66);
  });

  it('caps pageSize at 1000 and rejects nonsense', async () => {
    const r = await call('GET', 'company/companies', { query: { pageSize: '5000' } });
    expect(ids(r)).toHaveLength(66);
    expect(r.link).toBeUndefined();
    expect((await call('GET', 'company/companies', { query: { pageSize: '0' } })).status).toBe(400);
    expect((await call('GET', 'company/companies', { query: { page: 'two' } })).status).toBe(400);
  });

  it('applies conditions, orderBy and fields together', async () => {
    const r = await call('GET', 'company/companies', { query: { conditions: 'name like "C*" and id < 300', orderBy: 'name desc', fields: 'id,name' } });
    const body = r.body as { id: number; name: string }[];
    expect(body.length).toBeGreaterThan(1);
    expect(body.every((c) => c.name.startsWith('C') && c.id < 300 && Object.keys(c).join() === 'id,name')).toBe(true);
    expect(body.map((c) => c.name)).toEqual([...body.map((c) => c.name)].sort().reverse());
  });

  it('answers 400 with syntax help on a bad condition and on an unknown field', async () => {
    const bad = await call('GET', 'company/companies', { query: { conditions: 'name = Contoso' } });
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toMatch(/double quotes/);
    const unknown = await call('GET', 'company/companies', { query: { conditions: 'shoeSize = 3' } });
    expect(unknown.status).toBe(400);
    expect((unknown.body as { message: string }).message).toMatch(/unknown field 'shoeSize'/);
  });

  it('counts with the same conditions', async () => {
    const r = await call('GET', 'company/companies/count', { query: { conditions: 'name contains "Legal"' } });
    expect(r.body).toEqual({ count: 24 });
  });

  it('takes long conditions in the body of POST /service/tickets/search', async () => {
    const a = await h.adapter({ key: 'search' });
    for (const m of ['s-1', 's-2', 's-3']) {
      await a.createTicket({ marker: m, title: m, description: m, organization: h.fixtures.organization, ticketMapping: h.fixtures.ticketMapping });
    }
    const r = await call('POST', 'service/tickets/search', { json: { conditions: 'externalXRef in ("s-1", "s-3")' } });
    expect((r.body as { externalXRef: string }[]).map((t) => t.externalXRef)).toEqual(['s-1', 's-3']);
  });
});

describe('forward-only paging', () => {
  it('walks with pageId, always sends a next link, and ends on an empty page', async () => {
    const seen: number[] = [];
    let pageId = 0;
    for (let i = 0; i < 10; i += 1) {
      const r = await call('GET', 'company/companies', { query: { pageSize: '30', ...(pageId ? { pageId: String(pageId) } : {}) }, headers: { 'pagination-type': 'forward-only' } });
      expect(rels(r.link)).toEqual(['next']);
      const page = ids(r);
      if (page.length === 0) break;
      expect(page.every((id) => id > pageId)).toBe(true);
      seen.push(...page);
      pageId = page[page.length - 1] as number;
    }
    expect(seen).toHaveLength(66);
  });

  it('refuses orderBy', async () => {
    const r = await call('GET', 'company/companies', { query: { orderBy: 'name asc' }, headers: { 'pagination-type': 'forward-only' } });
    expect(r.status).toBe(400);
  });

  it('ConnectWiseApi.all() gathers every record with forward-only pages', async () => {
    const http = new PsaHttpClient({ baseUrl: h.cw.url, governor: new RateGovernor({ maxRequests: 100, windowMs: 1000, maxConcurrentPerEndpoint: 2 }), mapError: mapConnectWiseError, ca: h.cw.ca, authHeaders: () => ({ authorization: `Basic ${Buffer.from(`${C.companyId}+${C.publicKey}:${C.privateKey}`).toString('base64')}`, clientid: C.clientId }) });
    const api = new ConnectWiseApi(http, C.companyId, 'v2025_1/');
    h.sim.log.length = 0;
    const all = await api.all('company/companies', companySchema, 'company', { pageSize: 25, conditions: 'deletedFlag=false' });
    http.close();
    expect(all).toHaveLength(66);
    expect(h.sim.log).toHaveLength(3); // 25 + 25 + 16 (a short page ends the walk)
    expect(h.sim.log.every((e) => !/[?&]page=/.test(e.query))).toBe(true);
  });
});

describe('JSON-Patch', () => {
  it('rejects unknown and wrongly-cased paths, ignores sub-paths as the PSA does', async () => {
    const a = await h.adapter({ key: 'patch' });
    const t = await a.createTicket({ marker: 'patch', title: 't', description: 'd', organization: h.fixtures.organization, ticketMapping: h.fixtures.ticketMapping });
    expect((await call('PATCH', `service/tickets/${t.id}`, { json: [{ op: 'replace', path: 'Status', value: { id: 15 } }] })).status).toBe(400);
    const quirk = await call('PATCH', `service/tickets/${t.id}`, { json: [{ op: 'replace', path: 'company/identifier', value: 'Other' }] });
    expect(quirk.status).toBe(200);
    expect((quirk.body as { company: { id: number } }).company.id).toBe(250);
    const byName = await call('PATCH', `service/tickets/${t.id}`, { json: [{ op: 'replace', path: 'priority', value: { name: 'Priority 1 - Critical' } }] });
    expect((byName.body as { priority: { id: number } }).priority.id).toBe(6);
    expect((await call('PATCH', `service/tickets/${t.id}`, { json: { op: 'replace' } })).status).toBe(400);
  });
});
