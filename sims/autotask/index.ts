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
import { AutotaskSimState, type AutotaskRight } from './state';
import { companyFieldInfo, configurationItemFieldInfo, INVENTORY_ENTITIES, registerInventoryRoutes } from './inventory';
import type { UdfDefinition } from './seed';
import { escapeForSignature, signWebhookBody, signWebhookDelivery } from './signing';

export { SEED_CREDENTIALS, SEED_FIXTURES, createSeed, signWebhookBody, signWebhookDelivery, escapeForSignature, AutotaskSimState };
export { INVENTORY_FIXTURES, type SeedOptions } from './seed';
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
  /** What zoneInformation answers as `url` (default: this simulator's own /ATServicesRest/). */
  zoneUrl?: string;
  /**
   * Whether `in` may test a UDF in a query. Autotask documents one UDF per query but not which
   * operators; allowed unless set to false, so clients can be tested against both answers.
   */
  udfInOperator?: boolean;
}

export interface AutotaskSim {
  server: SimServer;
  state: AutotaskSimState;
  /** Origin of the simulator, e.g. http://127.0.0.1:7802 (zone discovery lives under it). */
  url: string;
  /** Most requests seen in flight at once per `integrationCode:endpoint` (thread-limit checks). */
  peakInFlight: Map<string, number>;
  close(): Promise<void>;
}

const BASE = '/atservicesrest/v1.0';
const PAGE_MAX = 500;
/** Entities the API can only create (ContractServiceAdjustmentsEntity.htm: "it CANNOT be queried or updated"). */
const CREATE_ONLY = new Set(['contractserviceadjustments', 'contractservicebundleadjustments']);
const errors = (status: number, ...messages: string[]): SimResponse => ({ status, body: { errors: messages } });

/** Contract picklists (`/Contracts/entityInformation/fields`): Recurring Service is what seat billing uses. */
export const CONTRACT_TYPES = [
  { value: '1', label: 'Time and Materials' },
  { value: '3', label: 'Fixed Price' },
  { value: '4', label: 'Block Hours' },
  { value: '6', label: 'Retainer' },
  { value: '7', label: 'Recurring Service' },
  { value: '8', label: 'Per Ticket' },
];
export const CONTRACT_CATEGORIES = [
  { value: '1', label: 'Managed Services', isActive: true },
  { value: '2', label: 'Backup', isActive: true },
  { value: '3', label: 'Legacy', isActive: false },
];
const CONTRACT_STATUSES = [
  { value: '0', label: 'Inactive' },
  { value: '1', label: 'Active' },
];
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/;

/** Entity name → its rows, its queryable fields and which security-level right reads it. */
interface EntityDef {
  right: AutotaskRight;
  fields: readonly string[];
  rows(state: AutotaskSimState): Record<string, unknown>[];
  /** The entity's user-defined fields (`entityInformation/userDefinedFields`, `udf: true` filters). */
  udfs?(state: AutotaskSimState): UdfDefinition[];
}

const rowsOf = <T extends object>(rows: T[]) => rows as unknown as Record<string, unknown>[];

const TICKET_FIELDS = ['id', 'ticketNumber', 'title', 'description', 'companyID', 'contractID', 'queueID', 'status', 'priority', 'issueType', 'subIssueType', 'serviceLevelAgreementID', 'externalID', 'rmmAlertID', 'resolution', 'assignedResourceID', 'createDate', 'completedDate', 'lastActivityDate', 'lastActivityResourceID', 'creatorResourceID'];

const ENTITIES: Record<string, EntityDef> = {
  companies: { right: 'companies', fields: ['id', 'companyName', 'companyType', 'isActive', 'phone', 'ownerResourceID', 'lastTrackedModifiedDateTime'], rows: (s) => rowsOf(s.seed.companies) },
  services: { right: 'services', fields: ['id', 'name', 'description', 'isActive', 'unitPrice'], rows: (s) => rowsOf(s.seed.services) },
  contracts: { right: 'contracts', fields: ['id', 'companyID', 'contractName', 'contractType', 'contractCategory', 'status', 'startDate', 'endDate'], rows: (s) => rowsOf(s.seed.contracts) },
  contractservices: { right: 'contracts', fields: ['id', 'contractID', 'serviceID', 'invoiceDescription', 'unitPrice'], rows: (s) => rowsOf(s.seed.contractServices) },
  contractserviceunits: { right: 'contracts', fields: ['id', 'contractID', 'contractServiceID', 'serviceID', 'startDate', 'endDate', 'units'], rows: (s) => rowsOf(s.seed.units) },
  tickets: { right: 'tickets', fields: TICKET_FIELDS, rows: (s) => rowsOf([...s.tickets.values()]) },
  ticketnotes: { right: 'tickets', fields: ['id', 'ticketID', 'title', 'description', 'noteType', 'publish', 'creatorResourceID', 'createDateTime'], rows: (s) => rowsOf(s.notes) },
  ticketwebhooks: {
    right: 'tickets',
    fields: ['id', 'name', 'webhookUrl', 'deactivationUrl', 'isActive', 'isReady'],
    rows: (s) => [...s.webhooks.values()].map((w) => ({ id: w.id, name: w.name, webhookUrl: w.webhookUrl, deactivationUrl: w.deactivationUrl, isActive: w.isActive, isReady: w.fields.length > 0 })),
  },
  resources: {
    right: 'tickets',
    fields: ['id', 'userName', 'firstName', 'lastName', 'isActive'],
    rows: (s) => rowsOf([{ id: s.seed.apiUser.resourceId, userName: s.seed.apiUser.userName, firstName: 'API', lastName: 'User', isActive: true }, s.seed.technician]),
  },
  ...INVENTORY_ENTITIES,
};

export async function startAutotaskSim(options: AutotaskSimOptions = {}): Promise<AutotaskSim> {
  const state = new AutotaskSimState(options.seed ?? createSeed());
  const server = new SimServer({ name: 'autotask', caseInsensitive: true, onReset: () => resetAll() });
  const budget = options.rateLimit ?? { maxRequests: 10_000, windowMs: 3_600_000 };
  const threadLimit = options.threadLimit ?? 3;
  const arrivals: number[] = [];
  const inFlight = new Map<string, number>();
  const peakInFlight = new Map<string, number>();
  const resetAll = () => {
    state.reset();
    arrivals.length = 0;
    peakInFlight.clear();
  };
  let origin = '';

  const header = (req: SimRequest, name: string) => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };

  /**
   * Who a write is made as: the API user, or the resource named by `ImpersonationResourceId`
   * (an integration acting for a technician; the record then shows that resource, and ticket
   * webhooks treat the change as theirs). An unknown or inactive resource is refused.
   */
  const actorOf = (req: SimRequest): number | SimResponse => {
    const raw = header(req, 'ImpersonationResourceId');
    if (raw === undefined) return state.seed.apiUser.resourceId;
    const resources = [{ id: state.seed.apiUser.resourceId, isActive: true }, state.seed.technician];
    const found = resources.find((r) => String(r.id) === raw.trim() && r.isActive);
    return found ? found.id : errors(500, `ImpersonationResourceId ${raw} is not an active resource.`);
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
      peakInFlight.set(endpoint, Math.max(peakInFlight.get(endpoint) ?? 0, busy + 1));
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

  interface QueryBody {
    MaxRecords?: unknown;
    Filter?: unknown;
    IncludeFields?: unknown;
  }

  /** Body of a query from POST JSON or GET `?search=`. */
  const queryBody = (req: SimRequest): QueryBody => {
    let raw: Record<string, unknown> = {};
    if (req.method === 'POST' && req.json && typeof req.json === 'object') raw = req.json as Record<string, unknown>;
    else if (req.query.get('search')) raw = JSON.parse(req.query.get('search') as string) as Record<string, unknown>;
    // JSON property names are case-insensitive to Autotask (clients send `filter` and `Filter`).
    const get = (name: string) => raw[Object.keys(raw).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name];
    return { MaxRecords: get('MaxRecords'), Filter: get('Filter'), IncludeFields: get('IncludeFields') };
  };

  type Selection = { ok: true; entity: string; body: QueryBody; pageSize: number; rows: Record<string, unknown>[] } | { ok: false; res: SimResponse };

  /** Every row the query selects, in id order (the order Autotask pages in). */
  const select = (req: SimRequest): Selection => {
    const entity = entityOf(req);
    if (!entity) return { ok: false, res: errors(404, `Entity ${req.params.entity} not found.`) };
    let body: QueryBody;
    let filter: FilterNode[];
    try {
      body = queryBody(req);
      filter = validateFilter(body.Filter ?? [], entity.def.fields, {
        udfs: entity.def.udfs?.(state).map((u) => u.name) ?? [],
        ...(options.udfInOperator === false ? { udfInOperator: false } : {}),
      });
    } catch (err) {
      return { ok: false, res: errors(500, err instanceof FilterError ? err.message.replace("'entity'", entity.name) : 'The search parameter is not valid JSON.') };
    }
    const max = body.MaxRecords === undefined || body.MaxRecords === null ? PAGE_MAX : Number(body.MaxRecords);
    if (!Number.isInteger(max) || max < 1 || max > PAGE_MAX) return { ok: false, res: errors(500, `MaxRecords must be between 1 and ${PAGE_MAX}.`) };
    const rows = entity.def
      .rows(state)
      .filter((row) => filter.every((f) => matches(row, f)))
      .sort((x, y) => Number(x.id) - Number(y.id));
    return { ok: true, entity: String(req.params.entity), body, pageSize: max, rows };
  };

  /** One page starting at the row whose id is `fromId` (null: the first page), with cursor URLs. */
  const runQuery = (req: SimRequest, fromId: number | null): SimResponse => {
    const sel = select(req);
    if (!sel.ok) return sel.res;
    const { rows, pageSize, body } = sel;
    const start = fromId === null ? 0 : Math.max(0, rows.findIndex((r) => Number(r.id) >= fromId));
    const items = fromId !== null && rows.every((r) => Number(r.id) < fromId) ? [] : rows.slice(start, start + pageSize);
    // The cursor is Autotask's: `paging={"pageSize","previousIds","nextIds"}` plus the original search.
    const search = encodeURIComponent(JSON.stringify({ ...body, MaxRecords: pageSize }));
    const cursor = (firstId: number, prevFirstId: number) =>
      `${origin}/ATServicesRest/V1.0/${sel.entity}/query/next?paging=${encodeURIComponent(JSON.stringify({ pageSize, previousIds: [prevFirstId], nextIds: [firstId] }))}&search=${search}`;
    const next = rows[start + pageSize];
    const thisFirst = items.length ? Number(items[0]?.id) : -1;
    const prevStart = start - pageSize;
    const nextPageUrl = next && items.length ? cursor(Number(next.id), thisFirst) : null;
    const prevPageUrl = start > 0 ? cursor(Number(rows[Math.max(0, prevStart)]?.id), prevStart > 0 ? Number(rows[Math.max(0, prevStart - pageSize)]?.id) : -1) : null;
    const include = Array.isArray(body.IncludeFields) ? body.IncludeFields.map((f) => String(f).toLowerCase()) : [];
    const shaped = include.length ? items.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => k === 'id' || include.includes(k.toLowerCase())))) : items;
    return { status: 200, body: { items: shaped, pageDetails: { count: items.length, requestCount: pageSize, prevPageUrl, nextPageUrl } } };
  };

  const fieldInfo = (name: string, dataType: string, extra: Record<string, unknown> = {}) => ({
    name, dataType, length: 0, isRequired: false, isReadOnly: name === 'id', isQueryable: true, isReference: false,
    isPickList: false, picklistValues: null, picklistParentValueField: '', isSupportedWebhookField: false, ...extra,
  });

  /** Contracts metadata: the required fields and the type, category and status picklists. */
  const contractFieldInfo = () => {
    const picklist = (name: string, values: { value: string; label: string; isActive?: boolean }[], isRequired: boolean) =>
      fieldInfo(name, 'integer', { isRequired, isPickList: true, picklistValues: values.map((v, i) => ({ value: v.value, label: v.label, isDefaultValue: false, sortOrder: i, parentValue: '', isActive: v.isActive !== false, isSystem: false })) });
    return [
      fieldInfo('id', 'long'), fieldInfo('companyID', 'integer', { isRequired: true, isReference: true, referenceEntityType: 'Company' }), fieldInfo('contractName', 'string', { isRequired: true, length: 100 }),
      picklist('contractType', CONTRACT_TYPES, true), picklist('contractCategory', CONTRACT_CATEGORIES, false), picklist('status', CONTRACT_STATUSES, true),
      fieldInfo('startDate', 'datetime', { isRequired: true }), fieldInfo('endDate', 'datetime', { isRequired: true }),
    ];
  };

  /** Tickets metadata with the picklists (string values) the ticket mapping form is built from. */
  const ticketFieldInfo = () => {
    const pl = state.seed.picklists;
    const picklist = (name: keyof typeof pl, parent = '') =>
      fieldInfo(name, 'integer', { isRequired: name === 'status' || name === 'priority', isPickList: true, picklistValues: pl[name], picklistParentValueField: parent, isSupportedWebhookField: true });
    return [
      fieldInfo('id', 'long'), fieldInfo('title', 'string', { isRequired: true, length: 255 }), fieldInfo('companyID', 'integer', { isRequired: true, isReference: true, referenceEntityType: 'Company' }),
      fieldInfo('externalID', 'string', { length: 50 }), fieldInfo('rmmAlertID', 'string', { length: 50 }),
      picklist('queueID'), picklist('status'), picklist('priority'), picklist('issueType'), picklist('subIssueType', 'issueType'), picklist('serviceLevelAgreementID'),
    ];
  };

  // Zone discovery needs no credentials and is not thread-limited.
  server.route('GET', `${BASE}/zoneInformation`, (req) => {
    const user = req.query.get('user') ?? '';
    if (user.toLowerCase() !== state.seed.apiUser.userName.toLowerCase()) return errors(500, 'Zone information could not be determined');
    return { status: 200, body: { zoneName: 'Simulator Zone', url: options.zoneUrl ?? `${origin}/ATServicesRest/`, webUrl: `${origin}/`, ci: 0 } };
  });
  server.route('GET', '/atservicesrest/versioninformation', () => ({ status: 200, body: { apiVersions: ['1.0'] } }));

  server.route('GET', `${BASE}/ThresholdInformation`, guarded(null, () => ({
    status: 200,
    body: { externalRequestThreshold: budget.maxRequests, requestThresholdTimeframe: budget.windowMs / 60000, currentTimeframeRequestCount: arrivals.length },
  })));

  // Query, next page and count answer GET (`?search=`) and POST alike; a POST query's next page
  // is reported to need POST with the same body, GET works too here (UNCONFIRMED either way).
  for (const method of ['GET', 'POST'] as const) {
    server.route(method, `${BASE}/:entity/query`, (req) =>
      guarded(entityOf(req)?.def.right ?? null, () =>
        // Create-only entities exist but refuse every read.
        CREATE_ONLY.has(String(req.params.entity).toLowerCase()) ? errors(405, `${req.params.entity} can only be created.`) : runQuery(req, null),
      )(req),
    );
    server.route(method, `${BASE}/:entity/query/next`, (req) =>
      guarded(entityOf(req)?.def.right ?? null, () => {
        let fromId: number;
        try {
          const paging = JSON.parse(req.query.get('paging') ?? '') as { nextIds?: unknown };
          fromId = Number(Array.isArray(paging.nextIds) ? paging.nextIds[0] : NaN);
        } catch {
          return errors(500, 'The paging parameter is not valid.');
        }
        if (!Number.isFinite(fromId)) return errors(500, 'The paging parameter is not valid.');
        // The cursor carries the original search, which is what counts.
        const search = req.query.get('search');
        const replay: SimRequest = { ...req, method: 'GET', query: new URLSearchParams(search ? { search } : {}) };
        return runQuery(replay, fromId);
      })(req),
    );
    server.route(method, `${BASE}/:entity/query/count`, (req) =>
      guarded(entityOf(req)?.def.right ?? null, () => {
        const sel = select(req);
        return sel.ok ? { status: 200, body: { queryCount: sel.rows.length } } : sel.res;
      })(req),
    );
  }

  // Metadata for every entity: `entityInformation` and `entityInformation/fields` (registered
  // before `/:entity/:id`, which would otherwise take "entityInformation" for an id).
  server.route('GET', `${BASE}/:entity/entityInformation`, (req) =>
    guarded(entityOf(req)?.def.right ?? null, () => {
      const entity = entityOf(req);
      if (!entity) return errors(404, `Entity ${req.params.entity} not found.`);
      const writable = ['tickets', 'companies', 'contracts', 'contractservices', 'configurationitems', 'products'].includes(entity.name);
      const right = entity.def.right;
      return {
        status: 200,
        body: {
          info: {
            name: req.params.entity, canCreate: writable || entity.name === 'contractserviceadjustments', canDelete: false, canQuery: true, canUpdate: writable,
            hasUserDefinedFields: entity.def.udfs !== undefined, supportsWebhookCallouts: entity.name === 'tickets' || entity.name === 'companies',
            // What this API user's security level allows (read-only areas, Add switched off).
            userAccessForCreate: state.readOnly.has(right) || state.addDenied.has(right) ? 'None' : 'All',
            userAccessForDelete: 'None',
            userAccessForQuery: 'All',
            userAccessForUpdate: writable && !state.readOnly.has(right) ? 'All' : 'None',
          },
        },
      };
    })(req),
  );
  server.route('GET', `${BASE}/:entity/entityInformation/fields`, (req) =>
    guarded(entityOf(req)?.def.right ?? null, () => {
      const entity = entityOf(req);
      if (!entity) return errors(404, `Entity ${req.params.entity} not found.`);
      const fields =
        entity.name === 'tickets' ? ticketFieldInfo()
        : entity.name === 'configurationitems' ? configurationItemFieldInfo(fieldInfo)
        : entity.name === 'companies' ? companyFieldInfo(fieldInfo)
        : entity.name === 'contracts' ? contractFieldInfo()
        : entity.def.fields.map((name) => fieldInfo(name, name === 'id' ? 'long' : 'string'));
      return { status: 200, body: { fields } };
    })(req),
  );
  server.route('GET', `${BASE}/:entity/entityInformation/userDefinedFields`, (req) =>
    guarded(entityOf(req)?.def.right ?? null, () => {
      const entity = entityOf(req);
      if (!entity) return errors(404, `Entity ${req.params.entity} not found.`);
      const udfs = entity.def.udfs?.(state) ?? [];
      return { status: 200, body: { fields: udfs.map((u) => fieldInfo(u.name, u.dataType, { length: u.length, isRequired: u.isRequired, isQueryable: true, isProtected: u.isProtected })) } };
    })(req),
  );

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
    const actor = actorOf(req);
    if (typeof actor !== 'number') return actor;
    const parsed = ticketInput((req.json ?? {}) as Record<string, unknown>, null);
    if (!parsed.ok) return parsed.res;
    const v = parsed.value;
    const t = state.createTicket(
      {
        title: v.title ?? '', description: v.description ?? '', companyID: v.companyID as number, queueID: v.queueID ?? null, status: v.status as number, priority: v.priority as number,
        issueType: v.issueType ?? null, subIssueType: v.subIssueType ?? null, serviceLevelAgreementID: v.serviceLevelAgreementID ?? null, externalID: v.externalID ?? null,
        rmmAlertID: v.rmmAlertID ?? null, resolution: v.resolution ?? null, assignedResourceID: v.assignedResourceID ?? null,
      },
      actor,
    );
    return { status: 200, body: { itemId: t.id } };
  }));

  server.route('PATCH', `${BASE}/Tickets`, guarded('tickets', (req) => {
    const raw = (req.json ?? {}) as Record<string, unknown>;
    const id = Number(raw.id ?? raw.Id);
    const existing = state.tickets.get(id);
    if (!existing) return errors(404, `No Tickets with id ${raw.id}.`);
    const actor = actorOf(req);
    if (typeof actor !== 'number') return actor;
    const parsed = ticketInput(raw, existing);
    if (!parsed.ok) return parsed.res;
    state.updateTicket(id, parsed.value, actor);
    return { status: 200, body: { itemId: id } };
  }));

  server.route('POST', `${BASE}/Tickets/:id/Notes`, guarded('tickets', (req) => {
    const ticket = state.tickets.get(Number(req.params.id));
    if (!ticket) return errors(404, `No Tickets with id ${req.params.id}.`);
    const b = (req.json ?? {}) as Record<string, unknown>;
    if (!b.description && !b.title) return errors(500, 'Missing Required Field: description');
    const actor = actorOf(req);
    if (typeof actor !== 'number') return actor;
    const note = state.addNote(ticket.id, { title: String(b.title ?? 'Note'), description: String(b.description ?? ''), noteType: Number(b.noteType ?? 1), publish: Number(b.publish ?? 1) }, actor);
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
  // Contract services are children of a contract: created and updated through the parent.
  const contractServiceInput = (req: SimRequest, existing: boolean): SimResponse => {
    const contract = state.seed.contracts.find((c) => c.id === Number(req.params.id));
    if (!contract) return errors(404, `No Contracts with id ${req.params.id}.`);
    const b = (req.json ?? {}) as Record<string, unknown>;
    if (existing) {
      const cs = state.seed.contractServices.find((x) => x.id === Number(b.id) && x.contractID === contract.id);
      if (!cs) return errors(404, `No ContractServices with id ${String(b.id)} on contract ${contract.id}.`);
      if (b.unitPrice !== undefined) cs.unitPrice = Number(b.unitPrice);
      if (b.invoiceDescription !== undefined) cs.invoiceDescription = String(b.invoiceDescription);
      return { status: 200, body: { itemId: cs.id } };
    }
    const service = state.seed.services.find((x) => x.id === Number(b.serviceID));
    if (!service) return errors(500, 'Reference value on field: serviceID of type: Service does not exist or is invisible.');
    if (state.seed.contractServices.some((x) => x.contractID === contract.id && x.serviceID === service.id)) return errors(500, 'This service is already on the contract.');
    const cs = { id: state.id(), contractID: contract.id, serviceID: service.id, invoiceDescription: String(b.invoiceDescription ?? service.name), unitPrice: Number(b.unitPrice ?? service.unitPrice) };
    state.seed.contractServices.push(cs);
    state.addPeriod(cs);
    return { status: 200, body: { itemId: cs.id } };
  };
  /**
   * Contract writes: adding a contract or a contract service needs Add = Yes; changing a service
   * or adjusting its units needs Edit (a read-only level refuses both).
   */
  const contractWrite = (level: 'add' | 'edit', handler: (req: SimRequest) => SimResponse | Promise<SimResponse>) =>
    guarded('contracts', (req) =>
      state.readOnly.has('contracts') || (level === 'add' && state.addDenied.has('contracts'))
        ? errors(403, `The security level of this API user does not permit ${level === 'add' ? 'adding' : 'editing'} contracts.`)
        : handler(req),
    );
  server.route('POST', `${BASE}/Contracts`, contractWrite('add', (req) => {
    const raw = req.json && typeof req.json === 'object' && !Array.isArray(req.json) ? (req.json as Record<string, unknown>) : {};
    const b = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]));
    const problems: string[] = [];
    for (const k of ['companyID', 'contractName', 'contractType', 'status', 'startDate', 'endDate']) {
      const v = b[k.toLowerCase()];
      if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) problems.push(`Missing Required Field: ${k}`);
    }
    const name = typeof b.contractname === 'string' ? b.contractname.trim() : '';
    if (name.length > 100) problems.push('contractName exceeds the maximum length of 100.');
    const company = state.seed.companies.find((c) => c.id === Number(b.companyid) && c.id !== 0);
    if (b.companyid != null && !company) problems.push('Reference value on field: companyID of type: Company does not exist or is invisible.');
    const pick = (field: string, values: { value: string; isActive?: boolean }[]) => {
      const v = b[field.toLowerCase()];
      if (v == null) return null;
      if (!values.some((x) => x.value === String(v) && x.isActive !== false)) problems.push(`Value ${String(v)} is not a valid picklist value for field ${field}.`);
      return Number(v);
    };
    const contractType = pick('contractType', CONTRACT_TYPES);
    const contractCategory = pick('contractCategory', CONTRACT_CATEGORIES);
    const status = pick('status', CONTRACT_STATUSES);
    for (const k of ['startDate', 'endDate']) if (b[k.toLowerCase()] != null && !DATE_ONLY.test(String(b[k.toLowerCase()]))) problems.push(`${k} is not a valid date.`);
    if (problems.length || !company || contractType === null || status === null) return errors(500, ...problems);
    const contract = { id: state.id(), companyID: company.id, contractName: name, contractType, contractCategory, status, startDate: String(b.startdate), endDate: String(b.enddate) };
    state.seed.contracts.push(contract);
    return { status: 200, body: { itemId: contract.id } };
  }));
  server.route('POST', `${BASE}/Contracts/:id/Services`, contractWrite('add', (req) => contractServiceInput(req, false)));
  server.route('PATCH', `${BASE}/Contracts/:id/Services`, contractWrite('edit', (req) => contractServiceInput(req, true)));

  server.route('POST', `${BASE}/ContractServiceAdjustments`, contractWrite('edit', (req) => adjust(req, null)));
  server.route('POST', `${BASE}/Contracts/:id/ServiceAdjustments`, contractWrite('edit', (req) => adjust(req, Number(req.params.id))));

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
  // Activation and renames; the GUID, owner and readiness are read-only.
  server.route('PATCH', `${BASE}/TicketWebhooks`, guarded('tickets', (req) => {
    const b = (req.json ?? {}) as Record<string, unknown>;
    const hook = state.webhooks.get(Number(b.id));
    if (!hook) return errors(404, `No TicketWebhooks with id ${String(b.id)}.`);
    if (b.Name !== undefined) hook.name = String(b.Name);
    if (b.WebhookUrl !== undefined) hook.webhookUrl = String(b.WebhookUrl);
    if (b.IsActive !== undefined) hook.isActive = b.IsActive === true;
    return { status: 200, body: { itemId: hook.id } };
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

  registerInventoryRoutes(server, BASE, state, guarded);

  const url = await server.listen(options.port ?? 0);
  origin = url;
  return {
    server,
    state,
    url,
    peakInFlight,
    close: async () => {
      await state.flush();
      await server.close();
    },
  };
}

