/** Tickets and billing against the simulator, with the number of Autotask requests each operation costs. */
import { randomUUID } from 'node:crypto';
import type { TicketDraft } from '../../../../psa/core/types';
import { SEED_FIXTURES } from '../../../../sims/autotask';
import { apiCalls, useAutotaskSim } from './helpers';

const at = useAutotaskSim();
const org = SEED_FIXTURES.organization;
const draft = (marker = `alert-${randomUUID()}`): TicketDraft => ({
  marker,
  title: 'Backup failed for 3 mailboxes',
  description: 'The nightly Microsoft 365 backup failed.',
  organization: { ...org },
  ticketMapping: { ...SEED_FIXTURES.ticketMapping },
});
const countCalls = async (fn: () => Promise<unknown>) => {
  at.sim.server.log.length = 0;
  await fn();
  return apiCalls(at.sim.server.log);
};

describe('requests per operation', () => {
  test('loading every ticket-mapping picklist costs one request', async () => {
    const adapter = await at.adapter();
    const calls = await countCalls(() => Promise.all(adapter.fields.ticket.map((f) => adapter.options('ticket', f.name, { parents: { issueType: '10' } }))));
    expect(calls).toEqual(['GET /tickets/entityinformation/fields']);
  });

  test('opening a ticket costs two (find by marker, create); a second open finds it in one', async () => {
    const adapter = await at.adapter();
    const d = draft();
    const open = async () => (await adapter.findTicketByMarker(d.marker)) ?? adapter.createTicket(d);
    const first = await countCalls(open);
    expect(first).toEqual(['POST /tickets/query', 'POST /tickets']);
    await adapter.getTicket((await adapter.findTicketByMarker(d.marker))!.id); // warms the own-resource lookup
    const again = await countCalls(open);
    expect(again).toEqual(['POST /tickets/query']);
    expect(at.sim.state.ticketsWithMarker(d.marker)).toBe(1);
  });

  test('closing costs one PATCH that sets the status and the resolution together', async () => {
    const adapter = await at.adapter();
    const ticket = await adapter.createTicket(draft());
    const calls = await countCalls(() => adapter.closeTicket(ticket.id, SEED_FIXTURES.ticketMapping.closedStatus, 'The backup succeeded again.'));
    expect(calls).toEqual(['PATCH /tickets']);
    const stored = at.sim.state.ticket(Number(ticket.id));
    expect(stored).toMatchObject({ status: 5, resolution: 'The backup succeeded again.' });
    expect(stored.completedDate).not.toBeNull();
  });

  test('reading a quantity costs one request, setting it two, and setting the same value again one', async () => {
    const adapter = await at.adapter();
    const start = await adapter.getQuantity(org);
    expect(await countCalls(() => adapter.getQuantity(org))).toEqual(['POST /contractserviceunits/query']);
    expect(await countCalls(() => adapter.setQuantity(org, start + 2))).toEqual(['POST /contractserviceunits/query', 'POST /contractserviceadjustments']);
    expect(await countCalls(() => adapter.setQuantity(org, start + 2))).toEqual(['POST /contractserviceunits/query']);
  });
});

describe('tickets', () => {
  test('the marker is stored in externalID and found by it; a ticket carrying it in rmmAlertID is found too', async () => {
    const adapter = await at.adapter();
    const d = draft();
    const created = await adapter.createTicket(d);
    expect(at.sim.state.ticket(Number(created.id))).toMatchObject({ externalID: d.marker, companyID: Number(org.company), queueID: Number(SEED_FIXTURES.ticketMapping.queue), status: 1 });
    const found = await adapter.findTicketByMarker(d.marker);
    expect(found).toMatchObject({ id: created.id, marker: d.marker, closed: false, statusId: '1' });
    expect(found?.number).toMatch(/^T\d{8}\.\d{4}$/);
    expect(await adapter.findTicketByMarker(`${d.marker}-other`)).toBeNull();

    const legacy = `rmm-${randomUUID()}`;
    const res = await at.raw('POST', 'Tickets', { companyID: Number(org.company), title: 'old', status: 1, priority: 2, queueID: 8, rmmAlertID: legacy });
    expect(res.status).toBe(200);
    const adopted = await adapter.findTicketByMarker(legacy);
    expect(adopted).toMatchObject({ id: String((res.json as { itemId: number }).itemId), marker: legacy });
  });

  test('touchedByOthers turns true on a technician note or assignment and stays true after we write again', async () => {
    const adapter = await at.adapter();
    const ticket = await adapter.createTicket(draft());
    await adapter.addTicketNote(ticket.id, 'Backup still failing.');
    expect((await adapter.getTicket(ticket.id)).touchedByOthers).toBe(false);
    at.sim.state.technicianNote(Number(ticket.id));
    expect((await adapter.getTicket(ticket.id)).touchedByOthers).toBe(true);
    await adapter.addTicketNote(ticket.id, 'Another failure.');
    expect((await adapter.getTicket(ticket.id)).touchedByOthers).toBe(true);

    const assigned = await adapter.createTicket(draft());
    expect((await at.raw('PATCH', 'Tickets', { id: Number(assigned.id), assignedResourceID: at.sim.state.seed.technician.id })).status).toBe(200);
    expect((await adapter.getTicket(assigned.id)).touchedByOthers).toBe(true);
  });

  test('a ticket completed in Autotask reads as closed; re-opening adds a note and sets the mapped status', async () => {
    const adapter = await at.adapter();
    const ticket = await adapter.createTicket(draft());
    await at.sim.state.technicianClose(Number(ticket.id));
    expect(await adapter.getTicket(ticket.id)).toMatchObject({ closed: true, statusId: '5', touchedByOthers: true });
    const reopened = await adapter.reopenTicket(ticket.id, SEED_FIXTURES.ticketMapping.status, 'The backup failed again.');
    expect(reopened).toMatchObject({ closed: false, statusId: SEED_FIXTURES.ticketMapping.status });
    expect(at.sim.state.ticket(Number(ticket.id)).status).toBe(Number(SEED_FIXTURES.ticketMapping.status));
    expect(at.sim.state.notes.filter((n) => n.ticketID === Number(ticket.id)).map((n) => n.description)).toContain('The backup failed again.');
  });

  test('closing twice is harmless (the PATCH is an absolute set)', async () => {
    const adapter = await at.adapter();
    const ticket = await adapter.createTicket(draft());
    await adapter.closeTicket(ticket.id, '5', 'done');
    await expect(adapter.closeTicket(ticket.id, '5', 'done')).resolves.toMatchObject({ closed: true });
    expect(at.sim.state.ticket(Number(ticket.id)).status).toBe(5);
  });
});

describe('billing', () => {
  const units = () => at.sim.state.seed.units.find((u) => u.contractServiceID === Number(org.contractService))!.units;

  test('the quantity is the current period\'s units; a set moves them by the signed difference, down as well as up', async () => {
    const adapter = await at.adapter();
    expect(await adapter.getQuantity(org)).toBe(SEED_FIXTURES.initialQuantity);
    expect(await adapter.setQuantity(org, 25)).toEqual({ previous: SEED_FIXTURES.initialQuantity, current: 25 });
    expect(units()).toBe(25);
    expect(await adapter.setQuantity(org, 3)).toEqual({ previous: 25, current: 3 });
    expect(units()).toBe(3);
    expect(await adapter.setQuantity(org, 0)).toEqual({ previous: 3, current: 0 });
    expect(units()).toBe(0);
  });

  test('the simulator refuses an adjustment that is not a whole number or would go below zero', async () => {
    const base = { contractID: Number(org.contract), contractServiceID: Number(org.contractService), effectiveDate: '2025-01-01' };
    expect((await at.raw('POST', 'ContractServiceAdjustments', { ...base, unitChange: 1.5 })).status).toBe(500);
    const below = await at.raw('POST', 'ContractServiceAdjustments', { ...base, unitChange: -(SEED_FIXTURES.initialQuantity + 1) });
    expect(below).toMatchObject({ status: 500, json: { errors: [expect.stringMatching(/negative/)] } });
    expect(units()).toBe(SEED_FIXTURES.initialQuantity);
  });

  test('a contract service added through its contract starts at 0 units and can be set', async () => {
    const adapter = await at.adapter();
    const created = await at.raw('POST', `Contracts/${org.contract}/Services`, { serviceID: 502, unitPrice: 3 });
    expect(created.status).toBe(200);
    const csId = String((created.json as { itemId: number }).itemId);
    const mapping = { company: org.company, contract: org.contract, contractService: csId };
    const listed = await adapter.options('organization', 'contractService', { parents: mapping });
    expect(listed.items.map((i) => i.id)).toEqual([org.contractService, csId]);
    expect(await adapter.getQuantity(mapping)).toBe(0);
    await adapter.setQuantity(mapping, 4);
    expect(await adapter.getQuantity(mapping)).toBe(4);
    expect((await at.raw('POST', `Contracts/${org.contract}/Services`, { serviceID: 502 })).status).toBe(500);
  });
});
