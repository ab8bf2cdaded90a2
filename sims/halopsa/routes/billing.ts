/** Customers (Client), Software Licences (seat counts), Suppliers and Items. */
import type { SimServer } from '../../common/server';
import type { makeGate } from '../gate';
import { isTrue, matches, notFound, wrappedList } from '../listing';
import { HaloSimError, num, type HaloSimState } from '../state';
import type { SimLicence } from '../types';
import { records, saved } from './common';

export function registerBillingRoutes(server: SimServer, state: HaloSimState, gate: ReturnType<typeof makeGate>): void {
  server.route('GET', '/api/Client', gate.api('customers', (req) => {
    const q = req.query;
    const topLevel = num(q.get('toplevel_id'));
    const rows = state.data.clients.filter(
      (c) => (isTrue(q, 'includeinactive') || !c.inactive) && (q.get('includeactive')?.toLowerCase() !== 'false' || c.inactive) && (topLevel === undefined || c.toplevel_id === topLevel) && matches(q.get('search'), c.name),
    );
    return wrappedList([...rows].sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id), q, 'clients', 500);
  }));
  server.route('GET', '/api/Client/:id', gate.api('customers', (req) => {
    const c = state.data.clients.find((x) => x.id === num(req.params.id));
    return c ? { status: 200, body: { ...c } } : notFound('Client', req.params.id ?? '');
  }));

  server.route('GET', '/api/SoftwareLicence', gate.api('softwarelicensing', (req) => {
    const q = req.query;
    const clientId = num(q.get('client_id'));
    const rows = state.data.licences.filter(
      (l) => (clientId === undefined || l.client_id === clientId) && (isTrue(q, 'includeinactive') || l.is_active) && matches(q.get('search'), l.name, l.product_sku),
    );
    return wrappedList(rows, q, 'licences', 500);
  }));
  server.route('GET', '/api/SoftwareLicence/:id', gate.api('softwarelicensing', (req) => {
    const l = state.data.licences.find((x) => x.id === num(req.params.id));
    return l ? { status: 200, body: { ...l } } : notFound('Licence', req.params.id ?? '');
  }));
  server.route('POST', '/api/SoftwareLicence', gate.write('softwarelicensing', (req) => saved(records(req).map((r) => ({ ...upsertLicence(state, r) })))));
  server.route('DELETE', '/api/SoftwareLicence/:id', gate.api('softwarelicensing', (req) => {
    const id = num(req.params.id) ?? -1;
    return state.deleteLicence(id) ? { status: 200, body: { id } } : notFound('Licence', req.params.id ?? '');
  }));

  server.route('GET', '/api/Supplier', gate.api('suppliers', (req) => wrappedList(state.data.suppliers, req.query, 'suppliers', 500)));
  server.route('GET', '/api/Item', gate.api('suppliers', (req) => wrappedList(state.data.items, req.query, 'items', 500)));
}

function upsertLicence(state: HaloSimState, r: Record<string, unknown>): SimLicence {
  const count = r.count === undefined ? undefined : Number(r.count);
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) {
    // Halo surfaces some failures as serialised .NET exceptions.
    throw new HaloSimError(400, { ClassName: 'System.ArgumentException', Message: `Invalid licence count: ${String(r.count)}`, StackTraceString: null });
  }
  const id = num(r.id);
  if (id !== undefined && id > 0) {
    const l = state.data.licences.find((x) => x.id === id);
    if (!l) throw new HaloSimError(404, `Licence ${id} not found`);
    if (count !== undefined) l.count = count;
    if (typeof r.name === 'string' && r.name.trim()) l.name = r.name.trim();
    return l;
  }
  const clientId = num(r.client_id);
  const client = state.data.clients.find((c) => c.id === clientId);
  if (!client) throw new HaloSimError(400, { '[0].client_id': 'A Customer must be selected' });
  const created: SimLicence = {
    id: state.data.nextId.licence++, type: num(r.type) ?? 1, name: typeof r.name === 'string' ? r.name : 'Licence', count: count ?? 0, client_id: client.id,
    site_id: client.main_site_id, start_date: '', end_date: '', billing_cycle: 'Monthly', term_duration: '', status: 'Active', autorenew: false, is_active: true,
    price: 0, purchase_price: 0, vendor: '', distributor: '', product_sku: '', licences_in_use: 0,
  };
  state.data.licences.push(created);
  return created;
}
