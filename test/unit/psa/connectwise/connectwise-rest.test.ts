/**
 * Fidelity check with an independent client: the published `connectwise-rest@1.3.0` package,
 * unchanged, pointed at the simulator (`companyUrl: '127.0.0.1:<port>'`, hard-coded https).
 * Its axios instances use Node's global https agent, so the test CA is trusted there for the
 * duration of this file only.
 */
import https from 'node:https';
import { ManageAPI } from 'connectwise-rest';
import { SEED_CREDENTIALS as C } from '../../../../sims/connectwise';
import { createConnectWiseHarness } from '../harness/connectwise';

const h = createConnectWiseHarness();
const previousCa = https.globalAgent.options.ca;
let cw: ManageAPI;
const quiet = () => undefined;

beforeAll(async () => {
  await h.start();
  https.globalAgent.options.ca = h.cw.ca;
  cw = new ManageAPI({ ...C, companyUrl: h.cw.host, entryPoint: 'v2025_1', apiVersion: '2025.1', logger: quiet });
});
afterAll(async () => {
  // Agent options override per-request ones, so an own-but-undefined `ca` would break later files.
  if (previousCa === undefined) delete https.globalAgent.options.ca;
  else https.globalAgent.options.ca = previousCa;
  https.globalAgent.destroy();
  await h.stop();
});

it('reads companies with conditions and pages them with paginate()', async () => {
  const legal = await cw.CompanyAPI.getCompanyCompanies({ conditions: 'name contains "Legal"', pageSize: 10, orderBy: 'name asc' });
  expect(legal).toHaveLength(10);
  expect(legal.every((c) => (c.name ?? '').includes('Legal'))).toBe(true);
  const all = await cw.paginate(cw.CompanyAPI.getCompanyCompanies, { startPage: 1, pageSize: 20 }, {});
  expect(all).toHaveLength(66);
});

it('reads boards and a board\'s statuses', async () => {
  const boards = await cw.ServiceAPI.getServiceBoards({ conditions: 'projectFlag = false and inactiveFlag = false' });
  expect(boards.map((b) => b.name)).toEqual(['Help Desk', 'Managed Services', 'Alerts']);
  const statuses = await cw.ServiceAPI.getServiceBoardsByParentIdStatuses(1, { conditions: 'closedStatus = true' });
  expect(statuses.map((s) => s.id)).toEqual([15, 16, 17]);
});

it('creates a ticket (by name references) and closes it with a JSON-Patch', async () => {
  const created = await cw.ServiceAPI.postServiceTickets({
    summary: 'Created by connectwise-rest',
    board: { name: 'Help Desk' },
    company: { identifier: 'NorthwindTra' },
    externalXRef: 'cwrest-1',
  });
  expect(created).toMatchObject({ board: { id: 1 }, company: { id: 250 }, status: { id: 11 }, closedFlag: false });
  const id = created.id as number;
  const patched = await cw.ServiceAPI.patchServiceTicketsById(id, [{ op: 'replace', path: 'status', value: { id: 15 } }]);
  expect(patched).toMatchObject({ closedFlag: true, status: { id: 15 } });
  expect(h.cw.state.ticket(id).closedBy).toBe('PsaSyncApi');
  const found = await cw.ServiceAPI.getServiceTickets({ conditions: 'externalXRef = "cwrest-1"' });
  expect(found.map((t) => t.id)).toEqual([id]);
});

it('sees ConnectWise-shaped errors as {status, data}', async () => {
  const bad = new ManageAPI({ ...C, privateKey: 'wrong', companyUrl: h.cw.host, entryPoint: 'v2025_1', logger: quiet });
  await expect(bad.SystemAPI.getSystemInfo()).rejects.toMatchObject({ status: 401, data: { code: 'ConnectWiseApi', message: 'UserNotAuthenticated' } });
  await expect(cw.ServiceAPI.getServiceTicketsById(987654)).rejects.toMatchObject({ status: 404, data: { code: 'NotFound' } });
  await expect(cw.ServiceAPI.postServiceTickets({ summary: '' })).rejects.toMatchObject({
    status: 400,
    data: { code: 'InvalidObject', errors: [expect.objectContaining({ field: 'summary' })] },
  });
});

it('works with the package default entryPoint v4_6_release too', async () => {
  const legacy = new ManageAPI({ ...C, companyUrl: h.cw.host, logger: quiet });
  const info = await legacy.SystemAPI.getSystemInfo();
  expect(info).toMatchObject({ isCloud: true });
});
