/**
 * The ConnectWise adapter against the HTTPS simulator: connection facts, picklists with their
 * parent scoping, idempotent ticket lifecycle, seat quantities, and the request budget of each
 * engine operation (read from the simulator's request log).
 */
import { createConnectWiseHarness, type ConnectWiseHarness } from '../harness/connectwise';
import type { PsaAdapter } from '../../../../psa/core/types';
import { PsaConfigError, PsaNotFoundError, PsaUnavailableError, PsaValidationError } from '../../../../psa/core/errors';

const h: ConnectWiseHarness = createConnectWiseHarness();
let adapter: PsaAdapter;
const apiCalls = () => h.sim.log.filter((e) => e.path.includes('/apis/3.0/'));

beforeAll(async () => {
  await h.start();
});
afterAll(async () => {
  await h.stop();
});
beforeEach(async () => {
  h.sim.reset();
  adapter = await h.adapter();
  h.sim.log.length = 0;
});

const draft = (marker: string) => ({
  marker,
  title: 'Backup failed for contoso.onmicrosoft.com',
  description: 'Exchange backup failed 3 times in a row.',
  organization: h.fixtures.organization,
  ticketMapping: h.fixtures.ticketMapping,
});

describe('connection', () => {
  it('reports the company name, version and codebase learnt from companyinfo', async () => {
    const info = await adapter.testConnection();
    expect(info.accountName).toBe('Contoso IT Services');
    expect(info.version).toMatch(/^v2025\.1/);
    expect(info.site).toMatchObject({ codebase: 'v2025_1/', companyId: 'contoso', siteUrl: h.cw.url });
    expect(apiCalls().map((e) => e.path)).toEqual(['/v2025_1/apis/3.0/system/info']);
  });

  it('uses a codebase given in the credentials instead of the discovered one', async () => {
    const cb = await h.adapterWith({ codebase: 'v4_6_release' }, { key: 'cb-given' });
    expect(h.sim.log).toHaveLength(0);
    await cb.testConnection();
    expect(h.sim.log.map((e) => e.path)).toEqual(['/v4_6_release/apis/3.0/system/info']);
  });

  it('reports every capability granted, then the missing right by its security-role name', async () => {
    expect((await adapter.probePermissions()).missing).toEqual([]);
    h.revokeCapability('billing');
    const report = await adapter.probePermissions();
    expect(report.granted.sort()).toEqual(['catalog', 'companies', 'tickets']);
    expect(report.missing).toHaveLength(1);
    expect(report.missing[0]?.capability).toBe('billing');
    expect(report.missing[0]?.detail).toMatch(/Finance > Agreements/);
  });
});

describe('picklists', () => {
  it('lists only service boards (no project or inactive boards)', async () => {
    const boards = await adapter.options('ticket', 'board');
    expect(boards.items.map((b) => b.name)).toEqual(['Alerts', 'Help Desk', 'Managed Services']);
    expect(boards.nextCursor).toBeNull();
  });

  it('scopes statuses to the board and closedStatus to closed, active statuses', async () => {
    const statuses = await adapter.options('ticket', 'status', { parents: { board: '2' } });
    expect(statuses.items.every((s) => Number(s.id) >= 21 && Number(s.id) <= 27)).toBe(true);
    expect(statuses.items.map((s) => s.name)).not.toContain('>Cancelled');
    const closed = await adapter.options('ticket', 'closedStatus', { parents: { board: '1' } });
    expect(closed.items.map((s) => s.id)).toEqual(['15', '16']);
    expect(closed.items.every((s) => s.meta?.closed === true)).toBe(true);
  });

  it('option() rejects ids of another board, open statuses as closedStatus, and garbage ids without a request', async () => {
    expect(await adapter.option('ticket', 'status', '11', { board: '1' })).toMatchObject({ id: '11', name: 'New' });
    expect(await adapter.option('ticket', 'status', '21', { board: '1' })).toBeNull();
    expect(await adapter.option('ticket', 'closedStatus', '11', { board: '1' })).toBeNull();
    expect(await adapter.option('ticket', 'closedStatus', '15', { board: '1' })).toMatchObject({ id: '15' });
    expect(await adapter.option('ticket', 'closedStatus', '17', { board: '1' })).toBeNull(); // inactive
    h.sim.log.length = 0;
    expect(await adapter.option('ticket', 'status', '../../company/companies/250', { board: '1' })).toBeNull();
    expect(h.sim.log).toHaveLength(0);
  });

  it('refuses a dependent field without its parent', async () => {
    await expect(adapter.options('ticket', 'status')).rejects.toBeInstanceOf(PsaConfigError);
    await expect(adapter.options('ticket', 'nonsense')).rejects.toBeInstanceOf(PsaConfigError);
  });

  it('pages companies with the Link header until the last page', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await adapter.options('organization', 'company', { cursor, pageSize: 25 });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(66);
  });

  it('searches companies server-side and ignores quote injection', async () => {
    const res = await adapter.options('organization', 'company', { search: 'dental' });
    expect(res.items.length).toBe(18);
    expect(res.items.every((c) => /dental/i.test(c.name))).toBe(true);
    expect(h.sim.log.at(-1)?.query).toMatch(/conditions=/);
    const injected = await adapter.options('organization', 'company', { search: '" or id>0 or name="' });
    expect(injected.items).toEqual([]);
  });

  it('scopes agreements to the company and additions to the agreement', async () => {
    const agreements = await adapter.options('organization', 'agreement', { parents: { company: '250' } });
    expect(agreements.items.map((a) => a.id)).toEqual(['500']); // 501 is cancelled
    expect(await adapter.option('organization', 'agreement', '500', { company: '251' })).toBeNull();
    const additions = await adapter.options('organization', 'agreementAddition', { parents: { agreement: '500' } });
    expect(additions.items.map((a) => a.id)).toEqual(['700', '701', '702']);
    expect(additions.items[0]?.meta).toMatchObject({ quantity: 25, product: 'SAAS-M365-SEAT' });
  });

  it('scopes plan fields: subcategories by category, catalog items by both', async () => {
    const subs = await adapter.options('plan', 'subcategory', { parents: { category: '3' } });
    expect(subs.items.map((s) => s.name).sort()).toEqual(['SaaS Backup', 'Server Backup']);
    const items = await adapter.options('plan', 'catalogItem', { parents: { category: '3', subcategory: '31' } });
    expect(items.items.map((i) => i.meta?.identifier)).toEqual(['SAAS-GWS-SEAT', 'SAAS-M365-ARCH', 'SAAS-M365-SEAT']);
    expect(await adapter.option('plan', 'catalogItem', '1001', { category: '3', subcategory: '32' })).toBeNull();
    expect(await adapter.option('plan', 'subcategory', '31', { category: '1' })).toBeNull();
    expect(await adapter.option('plan', 'productType', '2')).toMatchObject({ name: 'Service' });
  });
});

describe('tickets', () => {
  it('creates with the marker in externalXRef and finds it again in one request', async () => {
    expect(await adapter.findTicketByMarker('alert-1')).toBeNull();
    const created = await adapter.createTicket(draft('alert-1'));
    expect(created).toMatchObject({ marker: 'alert-1', statusId: '11', closed: false, touchedByOthers: false });
    const stored = h.cw.state.ticket(Number(created.id));
    expect(stored).toMatchObject({ board: { id: 1 }, company: { id: 250 }, type: { id: 101 }, subType: { id: 201 }, item: { id: 301 }, priority: { id: 8 }, sla: { id: 2 } });
    h.sim.log.length = 0;
    expect(await adapter.findTicketByMarker('alert-1')).toMatchObject({ id: created.id });
    expect(h.sim.log).toHaveLength(1);
    expect(h.ticketsWithMarker('alert-1')).toBe(1);
  });

  it('closes with the mapped closed status and a resolution note', async () => {
    const t = await adapter.createTicket(draft('alert-close'));
    const closed = await adapter.closeTicket(t.id, h.fixtures.ticketMapping.closedStatus as string, 'Backup succeeded again.');
    expect(closed).toMatchObject({ closed: true, statusId: '15' });
    const notes = h.cw.state.data.notes.filter((n) => n.ticketId === Number(t.id));
    expect(notes.some((n) => n.resolutionFlag && n.text === 'Backup succeeded again.')).toBe(true);
    const reopened = await adapter.reopenTicket(t.id, '11', 'Failed again.');
    expect(reopened).toMatchObject({ closed: false, statusId: '11' });
    expect(h.cw.state.ticket(Number(t.id)).closedFlag).toBe(false);
  });

  it('sees a technician note even after our own later update', async () => {
    const t = await adapter.createTicket(draft('alert-touch'));
    expect((await adapter.getTicket(t.id)).touchedByOthers).toBe(false);
    await adapter.addTicketNote(t.id, 'Still failing.');
    expect((await adapter.getTicket(t.id)).touchedByOthers).toBe(false);
    h.technicianTouches(t.id);
    expect((await adapter.getTicket(t.id)).touchedByOthers).toBe(true);
    await adapter.addTicketNote(t.id, 'Another automated note.');
    expect((await adapter.getTicket(t.id)).touchedByOthers).toBe(true);
  });

  it('counts an assignment as work by others', async () => {
    const t = await adapter.createTicket(draft('alert-assign'));
    h.cw.state.technicianAssign(Number(t.id));
    expect((await adapter.findTicketByMarker('alert-assign'))?.touchedByOthers).toBe(true);
  });

  it('maps vendor validation errors with the field messages, and unknown tickets to not found', async () => {
    const bad = { ...draft('alert-bad'), ticketMapping: { ...h.fixtures.ticketMapping, status: '21' } };
    const err = await adapter.createTicket(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PsaValidationError);
    expect((err as PsaValidationError).details.join(' ')).toMatch(/status: The status is not valid for board Help Desk/);
    await expect(adapter.getTicket('999999')).rejects.toBeInstanceOf(PsaNotFoundError);
    await expect(adapter.getTicket('1 or 1=1')).rejects.toBeInstanceOf(PsaNotFoundError);
  });

  it('an answer in a shape ConnectWise never sends is PsaUnavailableError, not a raw parse error', async () => {
    h.sim.addFault({ kind: 'status', status: 201, method: 'POST', path: 'service/tickets$', body: { unexpected: true }, times: 1 });
    await expect(adapter.createTicket(draft('alert-shape'))).rejects.toBeInstanceOf(PsaUnavailableError);
  });

  it('truncates long titles to the 100-character summary limit', async () => {
    const t = await adapter.createTicket({ ...draft('alert-long'), title: 'x'.repeat(250) });
    expect(h.cw.state.ticket(Number(t.id)).summary).toHaveLength(100);
  });
});

describe('billing', () => {
  it('reads and sets the agreement addition quantity; a repeat set changes nothing', async () => {
    const org = h.fixtures.organization;
    expect(await adapter.getQuantity(org)).toBe(h.fixtures.initialQuantity);
    expect(await adapter.setQuantity(org, 31)).toEqual({ previous: 25, current: 31 });
    h.sim.log.length = 0;
    expect(await adapter.setQuantity(org, 31)).toEqual({ previous: 31, current: 31 });
    expect(h.sim.log.map((e) => e.method)).toEqual(['GET']);
    expect(h.cw.state.data.additions.find((a) => a.id === 700)?.quantity).toBe(31);
  });

  it('reports a deleted addition as not found and rejects bad quantities before calling', async () => {
    h.deleteBillingObject();
    await expect(adapter.getQuantity(h.fixtures.organization)).rejects.toBeInstanceOf(PsaNotFoundError);
    h.sim.log.length = 0;
    await expect(adapter.setQuantity(h.fixtures.organization, -1)).rejects.toBeInstanceOf(PsaValidationError);
    await expect(adapter.setQuantity(h.fixtures.organization, 2.5)).rejects.toBeInstanceOf(PsaValidationError);
    expect(h.sim.log).toHaveLength(0);
  });
});

describe('request budget per operation (from the simulator log)', () => {
  const figures: Record<string, number> = {};
  afterAll(() => {
    // Printed for the lead's report.
    process.stdout.write(`ConnectWise requests per operation: ${JSON.stringify(figures)}\n`);
  });

  it('loads the ticket-mapping picklists in one request per field', async () => {
    h.sim.log.length = 0;
    const board = h.fixtures.ticketMapping.board as string;
    for (const f of adapter.fields.ticket) {
      await adapter.options('ticket', f.name, { parents: f.dependsOn.length ? { board } : undefined });
    }
    figures.ticketPicklists = h.sim.log.length;
    expect(h.sim.log.length).toBe(adapter.fields.ticket.length);
  });

  it('opens a ticket in 2 calls and closes it in 2', async () => {
    h.sim.log.length = 0;
    const found = await adapter.findTicketByMarker('budget-1');
    if (!found) await adapter.createTicket(draft('budget-1'));
    figures.openTicket = h.sim.log.length;
    expect(h.sim.log.length).toBeLessThanOrEqual(2);
    const id = String(h.cw.state.data.tickets.at(-1)?.id);
    h.sim.log.length = 0;
    await adapter.closeTicket(id, h.fixtures.ticketMapping.closedStatus as string, 'resolved');
    figures.closeTicket = h.sim.log.length;
    expect(h.sim.log.length).toBeLessThanOrEqual(2);
  });

  it('reads a quantity in 1 call and sets it in 2', async () => {
    h.sim.log.length = 0;
    await adapter.getQuantity(h.fixtures.organization);
    figures.getQuantity = h.sim.log.length;
    h.sim.log.length = 0;
    await adapter.setQuantity(h.fixtures.organization, 40);
    figures.setQuantity = h.sim.log.length;
    expect([figures.getQuantity, figures.setQuantity]).toEqual([1, 2]);
  });
});
