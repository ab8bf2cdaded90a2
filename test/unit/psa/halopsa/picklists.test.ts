import { PsaConfigError, PsaValidationError } from '../../../../psa/core/errors';
import type { PsaAdapter } from '../../../../psa/core/types';
import { SEED_FIXTURES } from '../../../../sims/halopsa';
import { apiCalls, useHalo } from './helpers';

describe('HaloPSA mapping forms and picklists', () => {
  const h = useHalo();
  let adapter: PsaAdapter;
  beforeAll(async () => {
    adapter = await h.adapter({ key: 'picklists' });
  });
  beforeEach(() => h.sim.reset());

  it('declares the integration configuration, no plan fields, and customer + licence', () => {
    expect(adapter.fields.ticket.map((f) => f.name)).toEqual(['syncSeatQuantity', 'ticketType', 'sla', 'priority', 'status', 'closedStatus']);
    expect(adapter.fields.ticket.find((f) => f.name === 'syncSeatQuantity')?.type).toBe('boolean');
    expect(adapter.fields.ticket.find((f) => f.name === 'priority')?.dependsOn).toEqual(['sla']);
    expect(adapter.fields.plan).toEqual([]);
    expect(adapter.fields.organization.map((f) => [f.name, f.dependsOn])).toEqual([
      ['customer', []],
      ['softwareLicence', ['customer']],
    ]);
  });

  it('ticket types leave out inactive ones and carry their default SLA', async () => {
    const { items } = await adapter.options('ticket', 'ticketType');
    expect(items.map((o) => o.name)).toEqual(['Incident', 'Service Request', 'Problem', 'Change Request', 'Backup Alert']);
    expect(items.find((o) => o.id === '21')?.meta?.defaultSla).toBe('3');
  });

  it('SLA ids that Halo sends as strings parse like numbers', async () => {
    const { items } = await adapter.options('ticket', 'sla');
    expect(items.map((o) => o.id)).toEqual(['1', '2', '3']);
  });

  it('priorities are only those of the chosen SLA, keyed by priorityid, hidden rows left out', async () => {
    const alerts = await adapter.options('ticket', 'priority', { parents: { sla: '3' } });
    expect(alerts.items.map((o) => `${o.id}:${o.name}`)).toEqual(['1:Alert - Critical', '2:Alert - Warning']);
    const premium = await adapter.options('ticket', 'priority', { parents: { sla: '2' } });
    expect(premium.items.map((o) => o.name)).toEqual(['P1 - Critical (24x7)', 'P2 - High (24x7)', 'P3 - Normal']);
    expect(h.sim.log.filter((e) => e.path === '/api/Priority').map((e) => e.query)).toEqual(['?slaid=3', '?slaid=2']);
    await expect(adapter.options('ticket', 'priority')).rejects.toBeInstanceOf(PsaValidationError);
  });

  it('open statuses for new tickets, closed statuses for closing', async () => {
    const open = await adapter.options('ticket', 'status');
    const closed = await adapter.options('ticket', 'closedStatus');
    expect(open.items.map((o) => o.id)).toEqual([...SEED_FIXTURES.openStatuses]);
    expect(closed.items.map((o) => o.id).sort()).toEqual([...SEED_FIXTURES.closedStatuses].sort());
    expect(closed.items.every((o) => o.meta?.closed === true)).toBe(true);
  });

  it('sync seat quantity is a yes/no choice with no PSA call', async () => {
    const { items } = await adapter.options('ticket', 'syncSeatQuantity');
    expect(items.map((o) => o.id)).toEqual(['true', 'false']);
    expect(h.sim.log).toHaveLength(0);
  });

  it('pages all customers with pageinate/page_size/page_no until record_count', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await adapter.options('organization', 'customer', { pageSize: 20, cursor });
      seen.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(SEED_FIXTURES.activeCustomers);
    expect(h.sim.log.map((e) => e.query)).toEqual([1, 2, 3, 4].map((n) => `?pageinate=true&page_size=20&page_no=${n}`));
  });

  it('customer search is done by Halo', async () => {
    const page = await adapter.options('organization', 'customer', { search: 'dental' });
    expect(page.items).toHaveLength(13);
    expect(page.items.every((o) => /dental/i.test(o.name))).toBe(true);
    expect(h.sim.log[0]?.query).toContain('search=dental');
  });

  it('software licences are those of the chosen customer', async () => {
    const page = await adapter.options('organization', 'softwareLicence', { parents: { customer: '101' } });
    expect(page.items.map((o) => o.id)).toEqual(['501', '526', '527']);
    expect(page.items[0]?.meta).toMatchObject({ count: SEED_FIXTURES.initialQuantity, customerId: '101' });
    await expect(adapter.options('organization', 'softwareLicence')).rejects.toBeInstanceOf(PsaValidationError);
  });

  it('option() finds a chosen value and returns null when it is gone or under other parents', async () => {
    expect(await adapter.option('ticket', 'ticketType', '21')).toMatchObject({ id: '21', name: 'Backup Alert' });
    expect(await adapter.option('ticket', 'ticketType', '999')).toBeNull();
    expect(await adapter.option('ticket', 'priority', '2', { sla: '3' })).toMatchObject({ name: 'Alert - Warning' });
    expect(await adapter.option('ticket', 'priority', '3', { sla: '3' })).toBeNull(); // hidden row
    expect(await adapter.option('ticket', 'priority', '4', { sla: '1' })).toMatchObject({ name: 'Low' });
    expect(await adapter.option('ticket', 'priority', '4', { sla: '2' })).toBeNull();
    expect(await adapter.option('ticket', 'status', '9')).toBeNull(); // closed is not a "new ticket" status
    expect(await adapter.option('ticket', 'closedStatus', '9')).toMatchObject({ name: 'Closed' });
    expect(await adapter.option('ticket', 'closedStatus', '1')).toBeNull();
    expect(await adapter.option('organization', 'customer', '101')).toMatchObject({ name: 'Acme Dental' });
    expect(await adapter.option('organization', 'customer', '4040')).toBeNull();
    expect(await adapter.option('organization', 'softwareLicence', '501', { customer: '101' })).toMatchObject({ id: '501' });
    expect(await adapter.option('organization', 'softwareLicence', SEED_FIXTURES.foreignLicence, { customer: '101' })).toBeNull();
    expect(await adapter.option('ticket', 'syncSeatQuantity', 'false')).toMatchObject({ name: 'No' });
    expect(await adapter.option('ticket', 'syncSeatQuantity', 'maybe')).toBeNull();
  });

  it('ids that are not Halo ids never reach a URL path', async () => {
    expect(await adapter.option('organization', 'customer', '../Agent/me')).toBeNull();
    expect(h.sim.log).toHaveLength(0);
  });

  it('unknown fields are a configuration error', async () => {
    await expect(adapter.options('plan', 'service')).rejects.toBeInstanceOf(PsaConfigError);
    await expect(adapter.option('ticket', 'board', '1')).rejects.toBeInstanceOf(PsaConfigError);
  });

  it('loading every ticket-mapping picklist costs 6 API requests', async () => {
    for (const f of adapter.fields.ticket) await adapter.options('ticket', f.name, { parents: { sla: '3' } });
    expect(apiCalls(h.sim.log)).toHaveLength(6);
  });
});
