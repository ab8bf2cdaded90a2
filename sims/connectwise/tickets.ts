/**
 * Service-ticket rules shared by the HTTP routes and the technician mutators: reference
 * resolution (`{id}` or `{name}`), board-scoped status/type/subtype/item checks, JSON-Patch,
 * notes, and the closed flags the PSA maintains.
 */
import type { CwFieldError } from './responses';
import type { BoardChild, Member, Ref, SimData, Ticket, TicketNote } from './types';

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number; code: string; message: string; errors: CwFieldError[] };

const fail = (field: string, code: string, message: string, status = 400): Outcome<never> => ({
  ok: false,
  status,
  code: 'InvalidObject',
  message: 'ticket object is invalid',
  errors: [{ code, message, field, resource: 'ticket' }],
});

interface Named {
  id: number;
  name?: string;
  identifier?: string;
}

/** Resolves a reference given as `{id}` or `{name}` / `{identifier}` against `pool`. */
function resolveRef<T extends Named>(value: unknown, pool: readonly T[]): T | null | 'invalid' {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') return 'invalid';
  const v = value as { id?: unknown; name?: unknown; identifier?: unknown };
  const hit =
    typeof v.id === 'number'
      ? pool.find((p) => p.id === v.id)
      : typeof v.name === 'string'
        ? pool.find((p) => p.name?.toLowerCase() === (v.name as string).toLowerCase())
        : typeof v.identifier === 'string'
          ? pool.find((p) => p.identifier?.toLowerCase() === (v.identifier as string).toLowerCase())
          : undefined;
  return hit ?? 'invalid';
}

const toRef = (r: Named): Ref => ({ id: r.id, ...(r.identifier ? { identifier: r.identifier } : {}), ...(r.name ? { name: r.name } : {}) });

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

type RefField = 'status' | 'type' | 'subType' | 'item' | 'priority' | 'sla' | 'agreement' | 'owner' | 'company' | 'board';

/** Applies one reference field to `draft`, checking board scope where the PSA does. */
function setRef(data: SimData, draft: Ticket, field: RefField, value: unknown): Outcome<null> {
  const boardId = draft.board.id;
  const boardScoped = (pool: BoardChild[]) => pool.filter((x) => x.board.id === boardId);
  const pools: Record<RefField, readonly Named[]> = {
    board: data.boards.filter((b) => !b.projectFlag && !b.inactiveFlag),
    company: data.companies.filter((c) => !c.deletedFlag),
    status: data.statuses.filter((s) => s.board.id === boardId && !s.inactive),
    type: boardScoped(data.types),
    subType: boardScoped(data.subtypes),
    item: boardScoped(data.items),
    priority: data.priorities,
    sla: data.slas,
    agreement: data.agreements.filter((a) => a.company.id === draft.company.id && !a.cancelledFlag),
    owner: data.members,
  };
  const hit = resolveRef(value, pools[field]);
  if (hit === 'invalid') {
    const scope = ['status', 'type', 'subType', 'item'].includes(field) ? ` for board ${draft.board.name ?? boardId}` : '';
    return fail(field, 'InvalidField', `The ${field} is not valid${scope}.`);
  }
  if (hit === null) {
    if (field === 'board' || field === 'company' || field === 'status') return fail(field, 'NullObject', `${field} object cannot be null`);
    delete draft[field];
    return { ok: true, value: null };
  }
  (draft as unknown as Record<string, unknown>)[field] = toRef(hit);
  return { ok: true, value: null };
}

function isClosedStatus(data: SimData, statusId: number): boolean {
  return data.statuses.find((s) => s.id === statusId)?.closedStatus ?? false;
}

function applyClosedFlags(data: SimData, t: Ticket, actor: Member): void {
  const closed = isClosedStatus(data, t.status.id);
  if (closed && !t.closedFlag) {
    t.closedFlag = true;
    t.closedDate = now();
    t.closedBy = actor.identifier;
  } else if (!closed && t.closedFlag) {
    t.closedFlag = false;
    delete t.closedDate;
    delete t.closedBy;
  }
}

function touch(t: Ticket, actor: Member): void {
  t._info = { ...t._info, lastUpdated: now(), updatedBy: actor.identifier };
}

export function createTicket(data: SimData, body: unknown, actor: Member): Outcome<Ticket> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, status: 400, code: 'InvalidRequest', message: 'The request body must be a ticket object.', errors: [] };
  }
  const b = body as Record<string, unknown>;
  const summary = b.summary;
  if (typeof summary !== 'string' || summary.trim() === '') return fail('summary', 'InvalidField', 'The summary field is required.');
  if (summary.length > 100) return fail('summary', 'InvalidField', 'summary may not be more than 100 characters.');
  if (b.recordType !== undefined && b.recordType !== 'ServiceTicket') return fail('recordType', 'InvalidField', 'Only ServiceTicket records can be created on /service/tickets.');
  if (b.externalXRef !== undefined && (typeof b.externalXRef !== 'string' || b.externalXRef.length > 100)) {
    return fail('externalXRef', 'InvalidField', 'externalXRef may not be more than 100 characters.');
  }
  const stamp = now();
  const draft: Ticket = {
    id: 0,
    summary,
    recordType: 'ServiceTicket',
    board: { id: 0 },
    status: { id: 0 },
    company: { id: 0 },
    actualHours: 0,
    closedFlag: false,
    customFields: [],
    _info: { lastUpdated: stamp, updatedBy: actor.identifier, dateEntered: stamp, enteredBy: actor.identifier },
  };
  for (const field of ['board', 'company'] as const) {
    const r = setRef(data, draft, field, b[field]);
    if (!r.ok) return r;
  }
  const defaultStatus = data.statuses.find((s) => s.board.id === draft.board.id && s.defaultFlag && !s.inactive);
  const statusRes = setRef(data, draft, 'status', b.status ?? (defaultStatus ? { id: defaultStatus.id } : undefined));
  if (!statusRes.ok) return statusRes;
  for (const field of ['type', 'subType', 'item', 'priority', 'sla', 'agreement', 'owner'] as const) {
    if (b[field] === undefined) continue;
    const r = setRef(data, draft, field, b[field]);
    if (!r.ok) return r;
  }
  if (typeof b.externalXRef === 'string') draft.externalXRef = b.externalXRef;
  applyClosedFlags(data, draft, actor);
  draft.id = ++data.nextId;
  data.tickets.push(draft);
  if (typeof b.initialDescription === 'string' && b.initialDescription !== '') {
    addNoteRecord(data, draft, { text: b.initialDescription, detailDescriptionFlag: true }, actor);
  }
  return { ok: true, value: draft };
}

const PATCHABLE = new Set(['summary', 'status', 'priority', 'type', 'subType', 'item', 'sla', 'owner', 'resources', 'externalXRef', 'board', 'company', 'agreement']);

export interface PatchOp {
  op: string;
  path: string;
  value?: unknown;
}

export function patchTicket(data: SimData, ticket: Ticket, ops: unknown, actor: Member): Outcome<Ticket> {
  if (!Array.isArray(ops)) {
    return { ok: false, status: 400, code: 'InvalidRequest', message: 'PATCH expects a JSON-Patch array of {op, path, value}.', errors: [] };
  }
  const draft: Ticket = structuredClone(ticket);
  for (const raw of ops as PatchOp[]) {
    if (!raw || typeof raw.path !== 'string' || !['add', 'replace', 'remove'].includes(raw.op)) {
      return { ok: false, status: 400, code: 'InvalidRequest', message: 'Each patch operation needs op (add|replace|remove) and path.', errors: [] };
    }
    const path = raw.path.replace(/^\//, '');
    // Sub-paths such as company/identifier are accepted and silently ignored by the PSA.
    if (path.includes('/')) continue;
    if (!PATCHABLE.has(path)) return fail(path, 'InvalidField', `Cannot patch ${path}: the field does not exist or is read-only (paths are case-sensitive).`);
    const value = raw.op === 'remove' ? null : raw.value;
    if (path === 'summary' || path === 'externalXRef' || path === 'resources') {
      if (value !== null && typeof value !== 'string') return fail(path, 'InvalidField', `${path} must be a string.`);
      if (path === 'summary' && (!value || value.length > 100)) return fail(path, 'InvalidField', 'summary must be 1 to 100 characters.');
      if (path === 'externalXRef' && value && value.length > 100) return fail(path, 'InvalidField', 'externalXRef may not be more than 100 characters.');
      if (value === null) delete draft[path as 'externalXRef' | 'resources'];
      else (draft as unknown as Record<string, unknown>)[path] = value;
      continue;
    }
    const r = setRef(data, draft, path as RefField, value);
    if (!r.ok) return r;
    if (path === 'board' && !data.statuses.some((s) => s.board.id === draft.board.id && s.id === draft.status.id)) {
      const def = data.statuses.find((s) => s.board.id === draft.board.id && s.defaultFlag);
      if (def) draft.status = toRef(def);
    }
  }
  const closing = isClosedStatus(data, draft.status.id) && !ticket.closedFlag;
  if (closing && !actor.rights.get('Service Desk > Close Service Tickets')?.has('edit')) {
    return {
      ok: false,
      status: 403,
      code: 'Forbidden',
      message: 'You do not have access to Service Desk > Close Service Tickets (Edit). Ask your administrator to add it to your security role.',
      errors: [],
    };
  }
  applyClosedFlags(data, draft, actor);
  touch(draft, actor);
  Object.assign(ticket, draft);
  for (const k of Object.keys(ticket) as (keyof Ticket)[]) if (!(k in draft)) delete ticket[k];
  return { ok: true, value: ticket };
}

function addNoteRecord(data: SimData, ticket: Ticket, b: Record<string, unknown>, actor: Member): TicketNote {
  const stamp = now();
  const note: TicketNote = {
    id: ++data.nextId,
    ticketId: ticket.id,
    text: String(b.text),
    detailDescriptionFlag: b.detailDescriptionFlag === true,
    internalAnalysisFlag: b.internalAnalysisFlag === true,
    resolutionFlag: b.resolutionFlag === true,
    member: { id: actor.id, identifier: actor.identifier, name: actor.name },
    createdBy: actor.identifier,
    dateCreated: stamp,
    _info: { lastUpdated: stamp, updatedBy: actor.identifier, dateEntered: stamp, enteredBy: actor.identifier },
  };
  data.notes.push(note);
  return note;
}

export function addNote(data: SimData, ticket: Ticket, body: unknown, actor: Member): Outcome<TicketNote> {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (typeof b.text !== 'string' || b.text.trim() === '') {
    return { ok: false, status: 400, code: 'InvalidObject', message: 'ticketNote object is invalid', errors: [{ code: 'InvalidField', message: 'The text field is required.', field: 'text', resource: 'ticketNote' }] };
  }
  if (b.detailDescriptionFlag !== true && b.internalAnalysisFlag !== true && b.resolutionFlag !== true) {
    return {
      ok: false,
      status: 400,
      code: 'InvalidObject',
      message: 'ticketNote object is invalid',
      errors: [{ code: 'InvalidField', message: 'At least one of detailDescriptionFlag, internalAnalysisFlag or resolutionFlag must be true.', field: 'detailDescriptionFlag', resource: 'ticketNote' }],
    };
  }
  const note = addNoteRecord(data, ticket, b, actor);
  touch(ticket, actor);
  return { ok: true, value: note };
}
