/** /service: boards and their statuses/types/subtypes/items, priorities, SLAs, tickets and notes. */
import { countResponse, filterRecords, listResponse, oneResponse } from '../listing';
import { cwError, ok } from '../responses';
import { addNote, createTicket, patchTicket, type Outcome } from '../tickets';
import type { BoardChild } from '../types';
import { API, findOr404, isResponse, type RouteContext } from './common';

const TABLE = { module: 'System > Table Setup', level: 'inquire' } as const;
const TICKETS = 'Service Desk > Service Tickets' as const;

function fromOutcome<T>(o: Outcome<T>, status = 200) {
  return o.ok ? ok(o.value, status) : cwError(o.status, o.code, o.message, o.errors.length ? o.errors : null);
}

export function registerServiceRoutes({ server, sim, api }: RouteContext): void {
  const d = () => sim.data;

  server.route('GET', `${API}/service/boards`, api(TABLE, (req) => listResponse(req, d().boards)));
  server.route('GET', `${API}/service/boards/count`, api(TABLE, (req) => countResponse(req, d().boards)));
  server.route('GET', `${API}/service/boards/:id`, api(TABLE, (req) => {
    const b = findOr404(req, 'id', d().boards, 'Board');
    return isResponse(b) ? b : oneResponse(req, b);
  }));

  // Board children are scoped to their board: an id from another board is a 404.
  const children: [string, () => readonly { id: number; board: { id: number } }[], string][] = [
    ['statuses', () => d().statuses, 'Status'],
    ['types', () => d().types, 'Type'],
    ['subtypes', () => d().subtypes, 'SubType'],
    ['items', () => d().items, 'Item'],
  ];
  for (const [segment, pool, what] of children) {
    const scoped = (boardId: number) => pool().filter((x) => x.board.id === boardId);
    server.route('GET', `${API}/service/boards/:board/${segment}`, api(TABLE, (req) => {
      const b = findOr404(req, 'board', d().boards, 'Board');
      return isResponse(b) ? b : listResponse(req, scoped(b.id));
    }));
    server.route('GET', `${API}/service/boards/:board/${segment}/count`, api(TABLE, (req) => {
      const b = findOr404(req, 'board', d().boards, 'Board');
      return isResponse(b) ? b : countResponse(req, scoped(b.id));
    }));
    server.route('GET', `${API}/service/boards/:board/${segment}/:id`, api(TABLE, (req) => {
      const b = findOr404(req, 'board', d().boards, 'Board');
      if (isResponse(b)) return b;
      const x = findOr404(req, 'id', scoped(b.id) as BoardChild[], what);
      return isResponse(x) ? x : oneResponse(req, x);
    }));
  }

  for (const [segment, pool, what] of [
    ['priorities', () => d().priorities, 'Priority'],
    ['SLAs', () => d().slas, 'SLA'],
  ] as const) {
    server.route('GET', `${API}/service/${segment}`, api(TABLE, (req) => listResponse(req, pool() as readonly { id: number }[])));
    server.route('GET', `${API}/service/${segment}/count`, api(TABLE, (req) => countResponse(req, pool() as readonly unknown[])));
    server.route('GET', `${API}/service/${segment}/:id`, api(TABLE, (req) => {
      const x = findOr404(req, 'id', pool() as readonly { id: number }[], what);
      return isResponse(x) ? x : oneResponse(req, x);
    }));
  }

  const tickets = () => d().tickets;
  server.route('GET', `${API}/service/tickets`, api({ module: TICKETS, level: 'inquire' }, (req) => listResponse(req, tickets())));
  server.route('GET', `${API}/service/tickets/count`, api({ module: TICKETS, level: 'inquire' }, (req) => countResponse(req, tickets())));
  // Long conditions go in the body of POST …/search.
  server.route('POST', `${API}/service/tickets/search`, api({ module: TICKETS, level: 'inquire' }, (req) => {
    const conditions = (req.json as { conditions?: unknown } | undefined)?.conditions;
    return listResponse(req, tickets(), typeof conditions === 'string' ? conditions : null);
  }));
  server.route('POST', `${API}/service/tickets`, api({ module: TICKETS, level: 'add' }, (req, member) => {
    const r = createTicket(d(), req.json, member);
    const skip = (req.json as { skipCallback?: unknown } | undefined)?.skipCallback === true;
    if (r.ok && !skip) sim.ticketChanged(r.value, 'added', member);
    return fromOutcome(r, 201);
  }));
  server.route('GET', `${API}/service/tickets/:id`, api({ module: TICKETS, level: 'inquire' }, (req) => {
    const t = findOr404(req, 'id', tickets(), 'Ticket');
    return isResponse(t) ? t : oneResponse(req, t);
  }));
  server.route('PATCH', `${API}/service/tickets/:id`, api({ module: TICKETS, level: 'edit' }, (req, member) => {
    const t = findOr404(req, 'id', tickets(), 'Ticket');
    if (isResponse(t)) return t;
    const r = patchTicket(d(), t, req.json, member);
    if (r.ok) sim.ticketChanged(r.value, 'updated', member);
    return fromOutcome(r);
  }));
  server.route('DELETE', `${API}/service/tickets/:id`, api({ module: TICKETS, level: 'delete' }, (req, member) => {
    const t = findOr404(req, 'id', tickets(), 'Ticket');
    if (isResponse(t)) return t;
    d().tickets = tickets().filter((x) => x.id !== t.id);
    sim.ticketChanged(t, 'deleted', member);
    return { status: 204 };
  }));

  const notesOf = (ticketId: number) => d().notes.filter((n) => n.ticketId === ticketId);
  server.route('GET', `${API}/service/tickets/:id/notes`, api({ module: TICKETS, level: 'inquire' }, (req) => {
    const t = findOr404(req, 'id', tickets(), 'Ticket');
    return isResponse(t) ? t : listResponse(req, notesOf(t.id));
  }));
  server.route('GET', `${API}/service/tickets/:id/notes/count`, api({ module: TICKETS, level: 'inquire' }, (req) => {
    const t = findOr404(req, 'id', tickets(), 'Ticket');
    if (isResponse(t)) return t;
    const filtered = filterRecords(notesOf(t.id), req.query.get('conditions'));
    return Array.isArray(filtered) ? ok({ count: filtered.length }) : filtered;
  }));
  server.route('GET', `${API}/service/tickets/:id/notes/:note`, api({ module: TICKETS, level: 'inquire' }, (req) => {
    const t = findOr404(req, 'id', tickets(), 'Ticket');
    if (isResponse(t)) return t;
    const n = findOr404(req, 'note', notesOf(t.id), 'TicketNote');
    return isResponse(n) ? n : oneResponse(req, n);
  }));
  server.route('POST', `${API}/service/tickets/:id/notes`, api({ module: TICKETS, level: 'add' }, (req, member) => {
    const t = findOr404(req, 'id', tickets(), 'Ticket');
    if (isResponse(t)) return t;
    const r = addNote(d(), t, req.json, member);
    if (r.ok) sim.ticketChanged(t, 'updated', member);
    return fromOutcome(r, 201);
  }));
}
