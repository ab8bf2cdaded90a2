/** Autotask queries: filters, `MaxRecords`, the nextPageUrl cursor, count, and the adapter's picklists on top. */
import { createSeed, SEED_FIXTURES } from '../../../../sims/autotask';
import { apiCalls, useAutotaskSim } from './helpers';

const at = useAutotaskSim();
const seed = createSeed();

interface QueryAnswer {
  items: { id: number; [k: string]: unknown }[];
  pageDetails: { count: number; requestCount: number; prevPageUrl: string | null; nextPageUrl: string | null };
}

const query = async (entity: string, body: unknown) => {
  const res = await at.raw('POST', `${entity}/query`, body);
  return { status: res.status, answer: res.json as QueryAnswer };
};

test('a page holds MaxRecords items and a nextPageUrl cursor in Autotask\'s paging shape', async () => {
  const { status, answer } = await query('Companies', { MaxRecords: 25, Filter: [{ op: 'gte', field: 'id', value: 0 }] });
  expect(status).toBe(200);
  expect(answer.items).toHaveLength(25);
  expect(answer.pageDetails).toMatchObject({ count: 25, requestCount: 25, prevPageUrl: null });
  const next = new URL(answer.pageDetails.nextPageUrl as string);
  expect(next.pathname).toBe('/ATServicesRest/V1.0/Companies/query/next');
  const paging = JSON.parse(next.searchParams.get('paging') as string) as { pageSize: number; previousIds: number[]; nextIds: number[] };
  expect(paging.pageSize).toBe(25);
  expect(paging.nextIds[0]).toBeGreaterThan(answer.items[24]!.id);
});

test('following nextPageUrl (by GET or by POST with the same body) walks every row once, in id order', async () => {
  const body = { MaxRecords: 20, Filter: [{ op: 'eq', field: 'isActive', value: true }] };
  const expected = seed.companies.filter((c) => c.isActive).map((c) => c.id).sort((a, b) => a - b);
  for (const method of ['GET', 'POST'] as const) {
    let page = (await query('Companies', body)).answer;
    const ids = page.items.map((i) => i.id);
    let pages = 1;
    while (page.pageDetails.nextPageUrl) {
      const res = await at.raw(method, page.pageDetails.nextPageUrl, method === 'POST' ? body : undefined);
      expect(res.status).toBe(200);
      page = res.json as QueryAnswer;
      expect(page.pageDetails.prevPageUrl).not.toBeNull();
      ids.push(...page.items.map((i) => i.id));
      pages += 1;
    }
    expect(ids).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 20));
  }
});

test('GET ?search= answers the same as the POST body, and count agrees', async () => {
  const body = { Filter: [{ op: 'contains', field: 'companyName', value: 'dental' }] };
  const post = (await query('Companies', body)).answer;
  const get = await at.raw('GET', `Companies/query?search=${encodeURIComponent(JSON.stringify(body))}`);
  expect(get.status).toBe(200);
  expect((get.json as QueryAnswer).items).toEqual(post.items);
  expect(post.items.length).toBe(seed.companies.filter((c) => /dental/i.test(c.companyName)).length);
  const count = await at.raw('POST', 'Companies/query/count', body);
  expect(count.json).toEqual({ queryCount: post.items.length });
});

test('MaxRecords outside 1–500 is refused with Autotask\'s error body; absent means 500', async () => {
  for (const max of [0, 501]) {
    const res = await at.raw('POST', 'Companies/query', { MaxRecords: max, Filter: [{ op: 'gte', field: 'id', value: 0 }] });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ errors: [expect.stringMatching(/MaxRecords/)] });
  }
  const all = (await query('Companies', { Filter: [{ op: 'gte', field: 'id', value: 0 }] })).answer;
  expect(all.pageDetails.requestCount).toBe(500);
  expect(all.items).toHaveLength(seed.companies.length);
});

describe('filter operators', () => {
  const companies = seed.companies;
  const cases: [string, unknown, (c: (typeof companies)[number]) => boolean][] = [
    ['eq', { op: 'eq', field: 'id', value: 1005 }, (c) => c.id === 1005],
    ['noteq', { op: 'noteq', field: 'companyType', value: 1 }, (c) => c.companyType !== 1],
    ['gt', { op: 'gt', field: 'id', value: 1060 }, (c) => c.id > 1060],
    ['gte', { op: 'gte', field: 'id', value: 1060 }, (c) => c.id >= 1060],
    ['lt', { op: 'lt', field: 'id', value: 1003 }, (c) => c.id < 1003],
    ['lte', { op: 'lte', field: 'id', value: 1003 }, (c) => c.id <= 1003],
    ['beginsWith (any case)', { op: 'beginsWith', field: 'companyName', value: 'alpine' }, (c) => c.companyName.toLowerCase().startsWith('alpine')],
    ['endsWith', { op: 'endsWith', field: 'companyName', value: ' 2' }, (c) => c.companyName.endsWith(' 2')],
    ['contains', { op: 'contains', field: 'companyName', value: 'Legal' }, (c) => c.companyName.includes('Legal')],
    ['exist', { op: 'exist', field: 'companyName' }, (c) => c.companyName !== ''],
    ['notExist', { op: 'notExist', field: 'companyName' }, (c) => c.companyName === ''],
    ['in', { op: 'in', field: 'id', value: [0, 1001, 1002, 424242] }, (c) => [0, 1001, 1002].includes(c.id)],
    ['notIn', { op: 'notIn', field: 'id', value: [0, 1001] }, (c) => ![0, 1001].includes(c.id)],
    ['field names in any case', { op: 'EQ', field: 'COMPANYNAME', value: companies[3]!.companyName }, (c) => c.companyName === companies[3]!.companyName],
    [
      'or group inside the and-ed top level',
      { op: 'or', items: [{ op: 'beginsWith', field: 'companyName', value: 'Birch' }, { op: 'beginsWith', field: 'companyName', value: 'Cedar' }] },
      (c) => /^(Birch|Cedar)/.test(c.companyName),
    ],
    [
      'and group nested in or',
      { op: 'or', items: [{ op: 'and', items: [{ op: 'contains', field: 'companyName', value: 'Foods' }, { op: 'lt', field: 'id', value: 1020 }] }, { op: 'eq', field: 'id', value: 0 }] },
      (c) => (c.companyName.includes('Foods') && c.id < 1020) || c.id === 0,
    ],
  ];
  test.each(cases)('%s', async (_name, filter, predicate) => {
    const expected = companies.filter(predicate).map((c) => c.id);
    const { status, answer } = await query('Companies', { Filter: [filter] });
    expect(status).toBe(200);
    expect(answer.items.map((i) => i.id).sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
  });

  test('the top-level array is and-ed', async () => {
    const { answer } = await query('Companies', { Filter: [{ op: 'beginsWith', field: 'companyName', value: 'Maple' }, { op: 'gt', field: 'id', value: 1030 }] });
    expect(answer.items.map((i) => i.id)).toEqual(companies.filter((c) => c.companyName.startsWith('Maple') && c.id > 1030).map((c) => c.id));
  });

  test('an unknown field or operator is a 500 with an errors array', async () => {
    const field = await at.raw('POST', 'Companies/query', { Filter: [{ op: 'eq', field: 'nonsense', value: 1 }] });
    expect(field).toMatchObject({ status: 500, json: { errors: [expect.stringMatching(/nonsense/)] } });
    const op = await at.raw('POST', 'Companies/query', { Filter: [{ op: 'like', field: 'id', value: 1 }] });
    expect(op).toMatchObject({ status: 500, json: { errors: [expect.stringMatching(/operator/)] } });
  });

  test('IncludeFields trims each row to those fields plus id', async () => {
    const { answer } = await query('Companies', { IncludeFields: ['companyName'], Filter: [{ op: 'eq', field: 'id', value: 1000 }] });
    expect(answer.items).toEqual([{ id: 1000, companyName: seed.companies.find((c) => c.id === 1000)!.companyName }]);
  });
});

describe('the adapter on top', () => {
  test('company options are paged forward-only through the vendor cursor until it runs out', async () => {
    const adapter = await at.adapter();
    at.sim.server.log.length = 0;
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await adapter.options('organization', 'company', { pageSize: 25, cursor });
      ids.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    const active = seed.companies.filter((c) => c.isActive);
    expect(pages).toBe(Math.ceil(active.length / 25));
    expect(new Set(ids).size).toBe(active.length);
    const calls = apiCalls(at.sim.server.log);
    expect(calls[0]).toBe('POST /companies/query');
    expect(calls.slice(1)).toEqual(Array(pages - 1).fill('POST /companies/query/next'));
  });

  test('search is a server-side contains filter: one request, only matching names', async () => {
    const adapter = await at.adapter();
    at.sim.server.log.length = 0;
    const found = await adapter.options('organization', 'company', { search: 'juniper' });
    expect(found.items.length).toBe(seed.companies.filter((c) => /juniper/i.test(c.companyName)).length);
    expect(found.items.length).toBeGreaterThan(0);
    expect(apiCalls(at.sim.server.log)).toEqual(['POST /companies/query']);
  });

  test('contracts follow the company, contract services follow the contract; option() checks the parents', async () => {
    const adapter = await at.adapter();
    const org = SEED_FIXTURES.organization;
    const contracts = await adapter.options('organization', 'contract', { parents: { company: org.company } });
    expect(contracts.items.map((c) => c.id)).toEqual(seed.contracts.filter((c) => String(c.companyID) === org.company).map((c) => String(c.id)));
    expect((await adapter.options('organization', 'contract')).items).toEqual([]);
    const services = await adapter.options('organization', 'contractService', { parents: { company: org.company, contract: org.contract } });
    expect(services.items.map((s) => s.id)).toEqual([org.contractService]);
    expect(await adapter.option('organization', 'contract', org.contract, { company: org.company })).toMatchObject({ id: org.contract });
    expect(await adapter.option('organization', 'contract', org.contract, { company: '1001' })).toBeNull();
    expect(await adapter.option('organization', 'contractService', org.contractService, { contract: '7001' })).toBeNull();
    expect(await adapter.option('organization', 'company', '424242')).toBeNull();
    expect(await adapter.option('organization', 'company', 'not-a-number')).toBeNull();
  });

  test('plan services leave out inactive ones', async () => {
    const adapter = await at.adapter();
    const services = await adapter.options('plan', 'service');
    expect(services.items.map((s) => s.id)).toEqual(seed.services.filter((s) => s.isActive).map((s) => String(s.id)));
    const inactive = seed.services.find((s) => !s.isActive)!;
    expect(await adapter.option('plan', 'service', String(inactive.id))).toBeNull();
  });

  test('ticket picklists come from one metadata call; inactive values are hidden, sub-issue types follow the issue type', async () => {
    const adapter = await at.adapter();
    at.sim.server.log.length = 0;
    const queues = await adapter.options('ticket', 'queue');
    const statuses = await adapter.options('ticket', 'closedStatus');
    const subs = await adapter.options('ticket', 'subIssueType', { parents: { issueType: '11' } });
    expect(apiCalls(at.sim.server.log)).toEqual(['GET /tickets/entityinformation/fields']);
    expect(queues.items.map((q) => q.id)).toEqual(seed.picklists.queueID.filter((q) => q.isActive).map((q) => q.value));
    expect(statuses.items.find((s) => s.id === '5')).toMatchObject({ name: 'Complete', meta: { complete: true } });
    expect(subs.items.map((s) => s.id)).toEqual(seed.picklists.subIssueType.filter((s) => s.parentValue === '11').map((s) => s.value));
    expect(await adapter.option('ticket', 'subIssueType', '201', { issueType: '11' })).toBeNull();
    expect(await adapter.option('ticket', 'subIssueType', '201', { issueType: '10' })).toMatchObject({ name: 'Backup failed' });
    expect(await adapter.option('ticket', 'queue', '9')).toBeNull(); // inactive queue
    const paged = await adapter.options('ticket', 'status', { pageSize: 2 });
    expect(paged.items).toHaveLength(2);
    const rest = await adapter.options('ticket', 'status', { pageSize: 10, cursor: paged.nextCursor });
    expect([...paged.items, ...rest.items].map((s) => s.id)).toEqual(seed.picklists.status.map((s) => s.value));
  });
});
