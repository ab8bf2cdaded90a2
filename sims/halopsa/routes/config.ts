/** Configuration lists: agents, ticket types, statuses, SLAs, priorities (policies), outcomes. */
import type { SimServer } from '../../common/server';
import type { makeGate } from '../gate';
import { isTrue, notFound, plainList } from '../listing';
import { num, type HaloSimState } from '../state';
import type { SimAgent, SimSla, SimStatus, SimTicketType } from '../types';

const agentView = (a: SimAgent) => ({ id: a.id, name: a.name, email: a.email, isapiagent: a.isapiagent, inactive: a.inactive });
const typeView = (t: SimTicketType) => ({ ...t });
// Not every Halo build says which statuses are closed; `excludeclosed` is how clients tell.
const statusView = ({ closed: _closed, ...s }: SimStatus) => s;
// Some builds send SLA ids as strings.
const slaView = (s: SimSla) => ({ ...s, id: String(s.id) });

export function registerConfigRoutes(server: SimServer, state: HaloSimState, gate: ReturnType<typeof makeGate>): void {
  server.route('GET', '/api/Agent/me', gate.api(null, (_req, agentId) => {
    const me = state.data.agents.find((a) => a.id === agentId);
    return me ? { status: 200, body: agentView(me) } : notFound('Agent', String(agentId));
  }));
  server.route('GET', '/api/Agent', gate.api(null, () => plainList(state.data.agents.filter((a) => !a.inactive).map(agentView))));

  server.route('GET', '/api/TicketType', gate.api(null, (req) => {
    const showInactive = isTrue(req.query, 'showinactive');
    return plainList(state.data.ticketTypes.filter((t) => showInactive || !t.inactive).map(typeView));
  }));
  server.route('GET', '/api/TicketType/:id', gate.api(null, (req) => {
    const t = state.data.ticketTypes.find((x) => x.id === num(req.params.id));
    return t ? { status: 200, body: typeView(t) } : notFound('Ticket Type', req.params.id ?? '');
  }));

  server.route('GET', '/api/Status', gate.api(null, (req) => {
    const excludeClosed = isTrue(req.query, 'excludeclosed');
    return plainList(state.data.statuses.filter((s) => !excludeClosed || !s.closed).map(statusView));
  }));
  server.route('GET', '/api/Status/:id', gate.api(null, (req) => {
    const s = state.data.statuses.find((x) => x.id === num(req.params.id));
    return s ? { status: 200, body: statusView(s) } : notFound('Status', req.params.id ?? '');
  }));

  server.route('GET', '/api/SLA', gate.api(null, (req) => {
    const withPriorities = isTrue(req.query, 'showpriorities');
    return plainList(
      state.data.slas.map((s) => ({ ...slaView(s), ...(withPriorities ? { priorities: state.data.priorities.filter((p) => p.slaid === s.id) } : {}) })),
    );
  }));
  server.route('GET', '/api/SLA/:id', gate.api(null, (req) => {
    const s = state.data.slas.find((x) => x.id === num(req.params.id));
    return s ? { status: 200, body: slaView(s) } : notFound('SLA', req.params.id ?? '');
  }));

  server.route('GET', '/api/Priority', gate.api(null, (req) => {
    const slaId = num(req.query.get('slaid'));
    return plainList(state.data.priorities.filter((p) => slaId === undefined || p.slaid === slaId));
  }));

  server.route('GET', '/api/Outcome', gate.api(null, () => plainList(state.data.outcomes)));
}
