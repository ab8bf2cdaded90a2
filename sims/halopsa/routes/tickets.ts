/** Tickets (POST-array upsert, filters, paging) and Actions (notes; an outcome is required). */
import type { SimServer } from '../../common/server';
import type { makeGate } from '../gate';
import { isTrue, matches, notFound, wrappedList } from '../listing';
import { num, type HaloSimState } from '../state';
import { records, saved } from './common';

/** Halo caps Tickets pages at 100 rows. */
const TICKETS_MAX_PAGE = 100;

export function registerTicketRoutes(server: SimServer, state: HaloSimState, gate: ReturnType<typeof makeGate>): void {
  server.route('GET', '/api/Tickets', gate.api('tickets', (req) => {
    const q = req.query;
    const clientId = num(q.get('client_id'));
    const statusId = num(q.get('status_id'));
    const typeId = num(q.get('tickettype_id'));
    const thirdPartyId = q.get('third_party_id');
    const rows = state.data.tickets.filter(
      (t) =>
        (clientId === undefined || t.client_id === clientId) &&
        (statusId === undefined || t.status_id === statusId) &&
        (typeId === undefined || t.tickettype_id === typeId) &&
        (!isTrue(q, 'open_only') || !t.hasbeenclosed) &&
        (!isTrue(q, 'closed_only') || t.hasbeenclosed) &&
        (thirdPartyId === null || t.third_party_id === thirdPartyId) &&
        matches(q.get('search'), t.summary, String(t.id), t.third_party_id, t.reference),
    );
    const ordered = isTrue(q, 'orderdesc') ? [...rows].sort((a, b) => b.id - a.id) : [...rows].sort((a, b) => a.id - b.id);
    return wrappedList(ordered, q, 'tickets', TICKETS_MAX_PAGE);
  }));

  server.route('GET', '/api/Tickets/:id', gate.api('tickets', (req) => {
    const t = state.ticket(num(req.params.id) ?? -1);
    return t ? { status: 200, body: { ...t } } : notFound('Ticket', req.params.id ?? '');
  }));

  server.route('POST', '/api/Tickets', gate.api('tickets', (req, agentId) => {
    const list = records(req);
    const out = list.map((r) => ({ ...(r.id !== undefined && num(r.id) !== undefined && num(r.id) !== 0 ? state.updateTicket(r, agentId) : state.createTicket(r, agentId)) }));
    return saved(out);
  }));

  server.route('DELETE', '/api/Tickets/:id', gate.api('tickets', (req) => {
    const id = num(req.params.id) ?? -1;
    if (!state.ticket(id)) return notFound('Ticket', req.params.id ?? '');
    state.data.tickets = state.data.tickets.filter((t) => t.id !== id);
    return { status: 200, body: { id } };
  }));

  server.route('GET', '/api/Actions', gate.api('tickets', (req) => {
    const ticketId = num(req.query.get('ticket_id'));
    const rows = state.data.actions.filter(
      (a) => (ticketId === undefined || a.ticket_id === ticketId) && (!isTrue(req.query, 'excludesys') || !a.systemaction),
    );
    return wrappedList(rows, req.query, 'actions', 500);
  }));

  server.route('GET', '/api/Actions/:id', gate.api('tickets', (req) => {
    const a = state.data.actions.find((x) => x.id === num(req.params.id));
    return a ? { status: 200, body: { ...a } } : notFound('Action', req.params.id ?? '');
  }));

  server.route('POST', '/api/Actions', gate.api('tickets', (req, agentId) => saved(records(req).map((r) => ({ ...state.addAction(r, agentId) })))));
}
