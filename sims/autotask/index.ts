/**
 * Autotask PSA REST v1.0 simulator: unauthenticated zone discovery, the three auth headers,
 * `/{Entity}/query` (POST body or GET `?search=`) with Autotask filters, 500-record pages and a
 * `nextPageUrl` cursor, `{item}` / `{items, pageDetails}` / `{itemId}` shapes, PATCH with the id
 * in the body, create-only ContractServiceAdjustments that move the current units, picklists in
 * `entityInformation/fields`, the hourly request threshold and 3-concurrent-per-endpoint thread
 * limit (429), and signed ticket webhooks. Routes match case-insensitively, as clients vary.
 */
import { SimServer, type SimRequest, type SimResponse } from '../common/server';
import { createSeed, SEED_CREDENTIALS, SEED_FIXTURES, type AutotaskSeed, type Ticket } from './seed';
import { matches, validateFilter, FilterError, type FilterNode } from './filter';
import { AutotaskSimState, signWebhookBody, type AutotaskRight } from './state';

export { SEED_CREDENTIALS, SEED_FIXTURES, createSeed, signWebhookBody, AutotaskSimState };
export type { AutotaskRight, AutotaskSeed };

export interface AutotaskSimOptions {
  port?: number;
  seed?: AutotaskSeed;
  /** The database's external request threshold (default 10,000 per rolling hour). */
  rateLimit?: { maxRequests: number; windowMs: number };
  /** Concurrent requests per endpoint and integration code before 429 (default 3). */
  threadLimit?: number;
  /** Added to every answer, so concurrency is observable. */
  latencyMs?: number;
}

export interface AutotaskSim {
  server: SimServer;
  state: AutotaskSimState;
  /** Origin of the simulator, e.g. http://127.0.0.1:7802 (zone discovery lives under it). */
  url: string;
  close(): Promise<void>;
}

const BASE = '/atservicesrest/v1.0';
const PAGE_MAX = 500;
const errors = (status: number, ...messages: string[]): SimResponse => ({ status, body: { errors: messages } });

/** Entity name → its rows, its queryable fields and which security-level right reads it. */
interface EntityDef {
  right: AutotaskRight;
  fields: readonly string[];
  rows(state: AutotaskSimState): Record<string, unknown>[];
}

const rowsOf = <T extends object>(rows: T[]) => rows as unknown as Record<string, unknown>[];

const TICKET_FIELDS = ['id', 'ticketNumber', 'title', 'description', 'companyID', 'contractID', 'queueID', 'status', 'priority', 'issueType', 'subIssueType', 'serviceLevelAgreementID', 'externalID', 'rmmAlertID', 'resolution', 'assignedResourceID', 'createDate', 'completedDate', 'lastActivityDate', 'lastActivityResourceID', 'creatorResourceID'];

const ENTITIES: Record<string, EntityDef> = {
  companies: { right: 'companies', fields: ['id', 'companyName', 'companyType', 'isActive', 'phone'], rows: (s) => rowsOf(s.seed.companies) },
  services: { right: 'services', fields: ['id', 'name', 'description', 'isActive', 'unitPrice'], rows: (s) => rowsOf(s.seed.services) },
  contracts: { right: 'contracts', fields: ['id', 'companyID', 'contractName', 'contractType', 'status'], rows: (s) => rowsOf(s.seed.contracts) },
  contractservices: { right: 'contracts', fields: ['id', 'contractID', 'serviceID', 'invoiceDescription', 'unitPrice'], rows: (s) => rowsOf(s.seed.contractServices) },
  contractserviceunits: { right: 'contracts', fields: ['id', 'contractID', 'contractServiceID', 'serviceID', 'startDate', 'endDate', 'units'], rows: (s) => rowsOf(s.seed.units) },
  tickets: { right: 'tickets', fields: TICKET_FIELDS, rows: (s) => rowsOf([...s.tickets.values()]) },
  ticketnotes: { right: 'tickets', fields: ['id', 'ticketID', 'title', 'description', 'noteType', 'publish', 'creatorResourceID', 'createDateTime'], rows: (s) => rowsOf(s.notes) },
  resources: {
    right: 'tickets',
    fields: ['id', 'userName', 'firstName', 'lastName', 'isActive'],
    rows: (s) => rowsOf([{ id: s.seed.apiUser.resourceId, userName: s.seed.apiUser.userName, firstName: 'API', lastName: 'User', isActive: true }, s.seed.technician]),
  },
};

export async function startAutotaskSim(options: AutotaskSimOptions = {}): Promise<AutotaskSim> {
  const state = new AutotaskSimState(options.seed ?? createSeed());
  const server = new SimServer({ name: 'autotask', caseInsensitive: true, onReset: () => state.reset() });
  const budget = options.rateLimit ?? { maxRequests: 10_000, windowMs: 3_600_000 };
  const threadLimit = options.threadLimit ?? 3;
  const arrivals: number[] = [];
  const inFlight = new Map<string, number>();
  let origin = '';

  const header = (req: SimRequest, name: string) => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };

  /** Threshold, thread limit, then the three headers, then the right for this entity. */
  const guarded =
    (right: AutotaskRight | null, handler: (req: SimRequest) => SimResponse | Promise<SimResponse>) =>
    async (req: SimRequest): Promise<SimResponse> => {
      const now = Date.now();
      while (arrivals.length && (arrivals[0] as number) <= now - budget.windowMs) arrivals.shift();
      if (arrivals.length >= budget.maxRequests) {
        const retryAfter = Math.ceil(((arrivals[0] as number) + budget.windowMs - now) / 1000);
        return { status: 429, headers: { 'retry-after': String(retryAfter) }, body: { errors: [`Request threshold of ${budget.maxRequests} requests per ${budget.windowMs / 60000} minutes exceeded.`] } };
      }
      arrivals.push(now);
      const code = header(req, 'ApiIntegrationCode');
      const user = header(req, 'UserName');
      const secret = header(req, 'Secret');
      if (!code || !user || !secret) return errors(401, 'Missing ApiIntegrationCode, UserName or Secret header.');
      if (code !== state.seed.apiUser.integrationCode) return errors(500, 'IntegrationCode is invalid.');
      if (user.toLowerCase() !== state.seed.apiUser.userName.toLowerCase() || secret !== state.seed.apiUser.secret) return errors(401, 'Authentication failed: user name or secret is not valid.');
      if (state.locked) return errors(401, 'The API user account is locked.');
      if (state.inactive) return errors(401, 'The API user account is inactive.');
      if (right && state.revoked.has(right)) return errors(403, `The security level of this API user does not permit access to ${right}.`);
      const endpoint = `${code}:${req.path.split('/')[3] ?? ''}`.toLowerCase();
      const busy = inFlight.get(endpoint) ?? 0;
      if (busy >= threadLimit) return { status: 429, headers: { 'retry-after': '1' }, body: { errors: [`Thread limit of ${threadLimit} concurrent requests per endpoint exceeded.`] } };
      inFlight.set(endpoint, busy + 1);
      try {
        if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
        return await handler(req);
      } finally {
        inFlight.set(endpoint, (inFlight.get(endpoint) ?? 1) - 1);
      }
    };

  const entityOf = (req: SimRequest) => {
    const name = String(req.params.entity ?? '').toLowerCase();
    const def = ENTITIES[name];
    return def ? { name, def } : null;
  };

  /** Body of a query from POST JSON or GET `?search=`. */
  const queryBody = (req: SimRequest): { MaxRecords?: number; Filter?: unknown; IncludeFields?: string[] } => {
    let raw: Record<string, unknown> = {};
    if (req.method === 'POST' && req.json && typeof req.json === 'object') raw = req.json as Record<string, unknown>;
    else if (req.query.get('search')) raw = JSON.parse(req.query.get('search') as string);
    // JSON property names are case-insensitive to Autotask (clients send `filter` and `Filter`).
    const get = (name: string) => raw[Object.keys(raw).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name];
    return { MaxRecords: get('MaxRecords') as number | undefined, Filter: get('Filter'), IncludeFields: get('IncludeFields') as string[] | undefined };
  };

  const runQuery = (req: SimRequest, afterId: number | null) => {
    const entity = entityOf(req);
    if (!entity) return errors(404, `Entity ${req.params.entity} not found.`);
    let body: ReturnType<typeof queryBody>;
    let filter: FilterNode[];
    try {
      body = queryBody(req);
      filter = validateFilter(body.Filter ?? [], knownFields(entity.name, state));
    } catch (err) {
      return errors(500, err instanceof FilterError ? err.message.replace("'entity'", entity.name) : 'The search parameter is not valid JSON.');
    }
    const pageSize = Math.min(PAGE_MAX, Math.max(1, Number(body.MaxRecords ?? PAGE_MAX)));
    const all = entity.def
      .rows(state)
      .filter((row) => filter.every((f) => matches(row, f)))
      .sort((a, b) => Number(a.id) - Number(b.id));
    const rest = afterId === null ? all : all.filter((r) => Number(r.id) > afterId);
    const items = rest.slice(0, pageSize);
    const more = rest.length > pageSize;
    const last = items.length ? Number(items[items.length - 1]?.id) : null;
    const search = encodeURIComponent(JSON.stringify({ ...body, MaxRecords: pageSize }));
    const nextPageUrl = more && last !== null ? `${origin}/ATServicesRest/V1.0/${req.params.entity}/query/next?paging=${encodeURIComponent(JSON.stringify({ pageSize, lastId: last }))}&search=${search}` : null;
    const include = body.IncludeFields?.map((f) => f.toLowerCase());
    const shaped = include?.length
      ? items.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => k === 'id' || include.includes(k.toLowerCase()))))
      : items;
    return { status: 200, body: { items: shaped, pageDetails: { count: items.length, requestCount: pageSize, prevPageUrl: null, nextPageUrl } } };
  };

  // Zone discovery needs no credentials and is not thread-limited.
  server.route('GET', `${BASE}/zoneInformation`, (req) => {
    const user = req.query.get('user') ?? '';
    if (user.toLowerCase() !== state.seed.apiUser.userName.toLowerCase()) return errors(500, 'Zone information could not be determined');
    return { status: 200, body: { zoneName: 'Simulator Zone', url: `${origin}/ATServicesRest/`, webUrl: `${origin}/`, ci: 0 } };
  });
  server.route('GET', '/atservicesrest/versioninformation', () => ({ status: 200, body: { apiVersions: ['1.0'] } }));

  server.route('GET', `${BASE}/ThresholdInformation`, guarded(null, () => ({
    status: 200,
    body: { externalRequestThreshold: budget.maxRequests, requestThresholdTimeframe: budget.windowMs / 60000, currentTimeframeRequestCount: arrivals.length },
  })));

  server.route('GET', `${BASE}/Tickets/entityInformation/fields`, guarded('tickets', () => {
    const pl = state.seed.picklists;
    const picklist = (name: string, values: unknown[], parent = '') => ({
      name, dataType: 'integer', length: 0, isRequired: ['status', 'priority'].includes(name), isReadOnly: false, isQueryable: true, isReference: false,
      isPickList: true, picklistValues: values, picklistParentValueField: parent, isSupportedWebhookField: true,
    });
    const plain = (name: string, dataType: string, isRequired = false) => ({ name, dataType, length: 0, isRequired, isReadOnly: false, isQueryable: true, isReference: false, isPickList: false, picklistValues: null, picklistParentValueField: '', isSupportedWebhookField: false });
    return {
      status: 200,
      body: {
        fields: [
          plain('id', 'long'), plain('title', 'string', true), plain('companyID', 'integer', true), plain('externalID', 'string'), plain('rmmAlertID', 'string'),
          picklist('queueID', pl.queueID), picklist('status', pl.status), picklist('priority', pl.priority), picklist('issueType', pl.issueType),
          picklist('subIssueType', pl.subIssueType, 'issueType'), picklist('serviceLevelAgreementID', pl.serviceLevelAgreementID),
        ],
      },
    };
  }));

  for (const method of ['GET', 'POST'] as const) {
    server.route(method, `${BASE}/:entity/query`, (req) => guarded(entityOf(req)?.def.right ?? null, () => runQuery(req, null))(req));
    server.route(method, `${BASE}/:entity/query/next`, (req) =>
      guarded(entityOf(req)?.def.right ?? null, () => {
        let lastId: number;
        try {
          lastId = Number(JSON.parse(req.query.get('paging') ?? '{}').lastId);
        } catch {
          return errors(500, 'The paging parameter is not valid.');
        }
        // The cursor carries the original search; a POSTed body, when sent, must be the same query.
        const search = req.query.get('search');
        const replay: SimRequest = { ...req, method: 'GET', query: new URLSearchParams(search ? { search } : {}) };
        return runQuery(replay, Number.isFinite(lastId) ? lastId : null);
      })(req),
    );
    server.route(method, `${BASE}/:entity/query/count`, (req) =>
      guarded(entityOf(req)?.def.right ?? null, () => {
        const res = runQuery({ ...req }, null);
        const items = (res.body as { items?: unknown[] }).items;
        return items ? { status: 200, body: { queryCount: entityOf(req)!.def.rows(state).filter((r) => (validateFilter(queryBody(req).Filter ?? [], knownFields(entityOf(req)!.name, state))).every((f: FilterNode) => matches(r, f))).length } } : res;
      })(req),
    );
  }

  server.route('GET', `${BASE}/:entity/:id`, (req) =>
    guarded(entityOf(req)?.def.right ?? null, () => {
      const entity = entityOf(req);
      if (!entity) return errors(404, `Entity ${req.params.entity} not found.`);
      const item = entity.def.rows(state).find((r) => String(r.id) === req.params.id);
      return item ? { status: 200, body: { item } } : { status: 404, body: { errors: [`No ${req.params.entity} with id ${req.params.id}.`] } };
    })(req),
  );

  const ticketInput = (raw: Record<string, unknown>, existing: Ticket | null): { ok: true; value: Partial<Ticket> } | { ok: false; res: SimResponse } => {
    const pl = state.seed.picklists;
    const lower = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]));
    const value: Partial<Ticket> = {};
    const problems: string[] = [];
    const num = (k: string) => (lower[k] === undefined || lower[k] === null ? undefined : Number(lower[k]));
    const checkPick = (field: keyof typeof pl, key: string, target: keyof Ticket) => {
      const v = num(key);
      if (v === undefined) return;
      const entry = pl[field].find((p) => p.value === String(v));
      if (!entry || !entry.isActive) problems.push(`Value ${v} is not a valid picklist value for field ${String(target)}.`);
      else (value as Record<string, unknown>)[target] = v;
    };
    if (lower.title !== undefined) value.title = String(lower.title).slice(0, 255);
    if (lower.description !== undefined) value.description = String(lower.description).slice(0, 8000);
    if (lower.companyid !== undefined) {
      const c = state.seed.companies.find((x) => x.id === Number(lower.companyid));
      if (!c) problems.push(`Reference value on field: companyID of type: Company does not exist or is invisible.`);
      else value.companyID = c.id;
    }
    checkPick('queueID', 'queueid', 'queueID');
    checkPick('status', 'status', 'status');
    checkPick('priority', 'priority', 'priority');
    checkPick('issueType', 'issuetype', 'issueType');
    checkPick('subIssueType', 'subissuetype', 'subIssueType');
    checkPick('serviceLevelAgreementID', 'servicelevelagreementid', 'serviceLevelAgreementID');
    const sub = value.subIssueType ?? existing?.subIssueType;
    const issue = value.issueType ?? existing?.issueType;
    if (sub != null && pl.subIssueType.find((p) => p.value === String(sub))?.parentValue !== String(issue)) problems.push(`subIssueType ${sub} does not belong to issueType ${issue}.`);
    for (const k of ['externalid', 'rmmalertid', 'resolution'] as const) if (lower[k] !== undefined) (value as Record<string, unknown>)[k === 'externalid' ? 'externalID' : k === 'rmmalertid' ? 'rmmAlertID' : 'resolution'] = lower[k] === null ? null : String(lower[k]);
    if (lower.assignedresourceid !== undefined) value.assignedResourceID = lower.assignedresourceid === null ? null : Number(lower.assignedresourceid);
    if (!existing) {
      for (const [k, label] of [['title', 'title'], ['companyID', 'companyID'], ['status', 'status'], ['priority', 'priority']] as const) {
        if ((value as Record<string, unknown>)[k] === undefined) problems.push(`Missing Required Field: ${label}`);
      }
      if (value.queueID === undefined && value.assignedResourceID === undefined) problems.push('Either queueID or assignedResourceID is required.');
    }
    return problems.length ? { ok: false, res: errors(500, ...problems) } : { ok: true, value };
  };

  server.route('POST', `${BASE}/Tickets`, guarded('tickets', (req) => {
    const parsed = ticketInput((req.json ?? {}) as Record<string, unknown>, null);
    if (!parsed.ok) return parsed.res;
    const v = parsed.value;
    const t = state.createTicket(
      {
        title: v.title ?? '', description: v.description ?? '', companyID: v.companyID as number, queueID: v.queueID ?? null, status: v.status as number, priority: v.priority as number,
        issueType: v.issueType ?? null, subIssueType: v.subIssueType ?? null, serviceLevelAgreementID: v.serviceLevelAgreementID ?? null, externalID: v.externalID ?? null,
        rmmAlertID: v.rmmAlertID ?? null, resolution: v.resolution ?? null, assignedResourceID: v.assignedResourceID ?? null,
      },
      state.seed.apiUser.resourceId,
    );
    return { status: 200, body: { itemId: t.id } };
  }));

  server.route('PATCH', `${BASE}/Tickets`, guarded('tickets', (req) => {
    const raw = (req.json ?? {}) as Record<string, unknown>;
    const id = Number(raw.id ?? raw.Id);
    const existing = state.tickets.get(id);
    if (!existing) return errors(404, `No Tickets with id ${raw.id}.`);
    const parsed = ticketInput(raw, existing);
    if (!parsed.ok) return parsed.res;
    state.updateTicket(id, parsed.value, state.seed.apiUser.resourceId);
    return { status: 200, body: { itemId: id } };
  }));

  server.route('POST', `${BASE}/Tickets/:id/Notes`, guarded('tickets', (req) => {
    const ticket = state.tickets.get(Number(req.params.id));
    if (!ticket) return errors(404, `No Tickets with id ${req.params.id}.`);
    const b = (req.json ?? {}) as Record<string, unknown>;
    if (!b.description && !b.title) return errors(500, 'Missing Required Field: description');
    const note = state.addNote(ticket.id, { title: String(b.title ?? 'Note'), description: String(b.description ?? ''), noteType: Number(b.noteType ?? 1), publish: Number(b.publish ?? 1) }, state.seed.apiUser.resourceId);
    return { status: 200, body: { itemId: note.id } };
  }));

  const adjust = (req: SimRequest, contractIdFromPath: number | null): SimResponse => {
    const b = (req.json ?? {}) as Record<string, unknown>;
    const contractID = contractIdFromPath ?? Number(b.contractID);
    const unitChange = Number(b.unitChange);
    if (!Number.isInteger(unitChange)) return errors(500, 'unitChange must be a whole number.');
    const cs = state.seed.contractServices.find((x) => x.id === Number(b.contractServiceID) && x.contractID === contractID);
    if (!cs) return errors(500, `Reference value on field: contractServiceID of type: ContractService does not exist or is invisible.`);
    const now = new Date().toISOString();
    const unit = state.seed.units.find((u) => u.contractServiceID === cs.id && u.startDate <= now && u.endDate >= now);
    if (!unit) return errors(500, 'No billing period covers the effective date.');
    if (unit.units + unitChange < 0) return errors(500, 'The adjustment would make the units negative.');
    unit.units += unitChange;
    return { status: 200, body: { itemId: state.id() } };
  };
  server.route('POST', `${BASE}/ContractServiceAdjustments`, guarded('contracts', (req) => adjust(req, null)));
  server.route('POST', `${BASE}/Contracts/:id/ServiceAdjustments`, guarded('contracts', (req) => adjust(req, Number(req.params.id))));
  // Create-only: the real API refuses to query or update adjustments.
  server.route('POST', `${BASE}/ContractServiceAdjustments/query`, guarded('contracts', () => errors(405, 'ContractServiceAdjustments can only be created.')));

  server.route('POST', `${BASE}/TicketWebhooks`, guarded('tickets', (req) => {
    const b = (req.json ?? {}) as Record<string, unknown>;
    const problems: string[] = [];
    if (!b.WebhookUrl) problems.push('Missing Required Field: WebhookUrl');
    if (!b.DeactivationUrl) problems.push('Missing Required Field: DeactivationUrl');
    if (!b.Name || String(b.Name).length > 50) problems.push('Name is required (at most 50 characters).');
    if (b.SecretKey && String(b.SecretKey).length > 64) problems.push('SecretKey is at most 64 characters.');
    if (problems.length) return errors(500, ...problems);
    const id = state.id();
    state.webhooks.set(id, {
      id, guid: state.newWebhookGuid(), name: String(b.Name), webhookUrl: String(b.WebhookUrl), deactivationUrl: String(b.DeactivationUrl),
      secretKey: String(b.SecretKey ?? ''), isActive: b.IsActive !== false, fields: [], excludedResources: [],
    });
    return { status: 200, body: { itemId: id } };
  }));
  server.route('POST', `${BASE}/TicketWebhooks/:id/Fields`, guarded('tickets', (req) => {
    const hook = state.webhooks.get(Number(req.params.id));
    if (!hook) return errors(404, `No TicketWebhooks with id ${req.params.id}.`);
    hook.fields.push(Number((req.json as Record<string, unknown>)?.FieldID ?? 0));
    return { status: 200, body: { itemId: state.id() } };
  }));
  server.route('POST', `${BASE}/TicketWebhooks/:id/ExcludedResources`, guarded('tickets', (req) => {
    const hook = state.webhooks.get(Number(req.params.id));
    if (!hook) return errors(404, `No TicketWebhooks with id ${req.params.id}.`);
    hook.excludedResources.push(Number((req.json as Record<string, unknown>)?.ResourceID ?? 0));
    return { status: 200, body: { itemId: state.id() } };
  }));
  server.route('DELETE', `${BASE}/TicketWebhooks/:id`, guarded('tickets', (req) => {
    const id = Number(req.params.id);
    if (!state.webhooks.delete(id)) return errors(404, `No TicketWebhooks with id ${req.params.id}.`);
    return { status: 200, body: { itemId: id } };
  }));

  const url = await server.listen(options.port ?? 0);
  origin = url;
  return {
    server,
    state,
    url,
    close: async () => {
      await state.flush();
      await server.close();
    },
  };
}

