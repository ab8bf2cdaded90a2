/**
 * Fidelity: the independent, published Autotask client `@apigrate/autotask-restapi` — unchanged
 * but for its base URL — drives the simulator through zone discovery, queries, reads, creates,
 * updates, contract-service units and adjustments.
 */
import { AutotaskRestApi } from '@apigrate/autotask-restapi';
import { SEED_CREDENTIALS, SEED_FIXTURES, startAutotaskSim, type AutotaskSim } from '../../../../sims/autotask';

let sim: AutotaskSim;
let api: InstanceType<typeof AutotaskRestApi>;

beforeAll(async () => {
  sim = await startAutotaskSim();
  api = new AutotaskRestApi(SEED_CREDENTIALS.apiUser, SEED_CREDENTIALS.secret, SEED_CREDENTIALS.integrationCode, { base_url: `${sim.url}/ATServicesRest/` });
});
afterAll(() => sim.close());

test('zone discovery, then a filtered company query and a single read', async () => {
  const result = await api.Companies.query({ filter: [{ op: 'beginsWith', field: 'companyName', value: 'Alpine' }] });
  expect(result.items.length).toBeGreaterThan(0);
  for (const c of result.items) expect(c.companyName).toMatch(/^Alpine/);
  expect(sim.server.log[0]?.path.toLowerCase()).toBe('/atservicesrest/v1.0/zoneinformation');
  const one = await api.Companies.get(result.items[0].id);
  expect(one.item.id).toBe(result.items[0].id);
});

test('a missing record comes back as null, as the client expects of a 404', async () => {
  expect(await api.Companies.get(99999999)).toBeNull();
});

test('create and update a ticket', async () => {
  const tm = SEED_FIXTURES.ticketMapping;
  const created = await api.Tickets.create({
    companyID: Number(SEED_FIXTURES.organization.company),
    title: 'Backup failed (apigrate)',
    status: Number(tm.status),
    priority: Number(tm.priority),
    queueID: Number(tm.queue),
    externalID: 'apigrate-marker-1',
  });
  expect(created.itemId).toEqual(expect.any(Number));
  await api.Tickets.update({ id: created.itemId, status: 5 });
  const read = await api.Tickets.get(created.itemId);
  expect(read.item.status).toBe(5);
  expect(sim.state.ticketsWithMarker('apigrate-marker-1')).toBe(1);
});

test('units are read and a create-only adjustment moves them', async () => {
  const filter = [{ op: 'eq', field: 'contractServiceID', value: Number(SEED_FIXTURES.organization.contractService) }];
  const before = (await api.ContractServiceUnits.query({ filter })).items[0].units;
  await api.ContractServiceAdjustments.create(Number(SEED_FIXTURES.organization.contract), {
    contractServiceID: Number(SEED_FIXTURES.organization.contractService),
    effectiveDate: new Date().toISOString().slice(0, 10),
    unitChange: 3,
  });
  expect((await api.ContractServiceUnits.query({ filter })).items[0].units).toBe(before + 3);
});

test('the count endpoint and a bad integration code answer as Autotask does', async () => {
  const count = await api.Companies.count({ filter: [{ op: 'contains', field: 'companyName', value: 'Dental' }] });
  expect(count.queryCount).toBeGreaterThan(0);
  const bad = new AutotaskRestApi(SEED_CREDENTIALS.apiUser, SEED_CREDENTIALS.secret, 'WRONGCODE', { base_url: `${sim.url}/ATServicesRest/` });
  const err = await bad.Companies.get(0).catch((e: { status?: number; details?: unknown }) => e);
  expect(err).toMatchObject({ status: 500, details: { errors: ['IntegrationCode is invalid.'] } });
});

test('metadata: ticket picklists carry string values, entity information says what is allowed', async () => {
  const { fields } = await api.Tickets.fieldInfo();
  const status = fields.find((f: { name: string }) => f.name === 'status');
  expect(status.isPickList).toBe(true);
  expect(status.picklistValues.find((v: { value: unknown }) => v.value === '5')).toMatchObject({ label: 'Complete' });
  const sub = fields.find((f: { name: string }) => f.name === 'subIssueType');
  expect(sub.picklistParentValueField).toBe('issueType');
  const { info } = await api.Companies.info();
  expect(info).toMatchObject({ canQuery: true });
});

test('a query with MaxRecords answers one page and a next-page cursor', async () => {
  const page = await api.Companies.query({ MaxRecords: 10, filter: [{ op: 'gte', field: 'id', value: 0 }] });
  expect(page.items).toHaveLength(10);
  expect(page.pageDetails).toMatchObject({ count: 10, requestCount: 10, prevPageUrl: null });
  expect(page.pageDetails.nextPageUrl).toContain('/Companies/query/next?paging=');
});

test('a contract service is created through its contract (child path) and read back at the root', async () => {
  const created = await api.ContractServices.create(Number(SEED_FIXTURES.organization.contract), { serviceID: 503, unitPrice: 1.5 });
  expect(created.itemId).toEqual(expect.any(Number));
  const read = await api.ContractServices.get(created.itemId);
  expect(read.item).toMatchObject({ contractID: Number(SEED_FIXTURES.organization.contract), serviceID: 503 });
  const units = await api.ContractServiceUnits.query({ filter: [{ op: 'eq', field: 'contractServiceID', value: created.itemId }] });
  expect(units.items[0].units).toBe(0);
});

test('a wrong secret is the client\'s 401 authorization error', async () => {
  const bad = new AutotaskRestApi(SEED_CREDENTIALS.apiUser, 'wrong-secret', SEED_CREDENTIALS.integrationCode, { base_url: `${sim.url}/ATServicesRest/` });
  await expect(bad.Companies.get(0)).rejects.toMatchObject({ status: 401, message: 'Authorization error.' });
});
