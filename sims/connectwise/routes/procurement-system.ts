/** /procurement (catalog, categories, subcategories, product types), /system (info, callbacks) and key_url. */
import { countResponse, listResponse, oneResponse } from '../listing';
import { cwError, invalidObject, ok } from '../responses';
import { MODULES, type AccessLevel, type Callback } from '../types';
import { API, findOr404, isResponse, type RouteContext } from './common';

const CATALOG = { module: 'Procurement > Product Catalog', level: 'inquire' } as const;
const CALLBACKS = 'System > Table Setup' as const;

export function registerProcurementRoutes({ server, sim, api }: RouteContext): void {
  const d = () => sim.data;
  const collections = [
    ['catalog', () => d().catalog, 'CatalogItem'],
    ['categories', () => d().categories, 'Category'],
    ['subcategories', () => d().subcategories, 'SubCategory'],
    ['types', () => d().productTypes, 'ProductType'],
  ] as const;
  for (const [segment, pool, what] of collections) {
    server.route('GET', `${API}/procurement/${segment}`, api(CATALOG, (req) => listResponse(req, pool() as readonly { id: number }[])));
    server.route('GET', `${API}/procurement/${segment}/count`, api(CATALOG, (req) => countResponse(req, pool() as readonly unknown[])));
    server.route('GET', `${API}/procurement/${segment}/:id`, api(CATALOG, (req) => {
      const x = findOr404(req, 'id', pool() as readonly { id: number }[], what);
      return isResponse(x) ? x : oneResponse(req, x);
    }));
  }
  server.route('GET', `${API}/procurement/categories/:id/subcategories`, api(CATALOG, (req) => {
    const c = findOr404(req, 'id', d().categories, 'Category');
    return isResponse(c) ? c : listResponse(req, d().subcategories.filter((s) => s.category.id === c.id));
  }));
}

export function registerSystemRoutes({ server, sim, api }: RouteContext): void {
  const d = () => sim.data;

  // Codebase discovery: anonymous, outside /apis/3.0.
  server.route('GET', '/login/companyinfo/:company', (req) => {
    if ((req.params.company ?? '').toLowerCase() !== d().companyId.toLowerCase()) {
      return cwError(404, 'NotFound', 'Company not found.');
    }
    const host = sim.baseUrl.replace(/^https?:\/\//, '');
    return ok({
      CompanyName: d().companyName,
      Codebase: d().codebase,
      VersionCode: `v${d().codebase.replace(/^v|\/$/g, '').replace('_', '.')}`,
      VersionNumber: 'v4.6.108533',
      CompanyID: d().companyId,
      IsCloud: true,
      SiteUrl: host,
    });
  });

  // key_url of callback deliveries: anonymous, answers {"signing_key": …} as text.
  server.route('GET', '/:codebase/system/callbackkey/index.rails', (req) => {
    const key = d().signingKeys.get(req.query.get('id') ?? '');
    if (!key) return cwError(404, 'NotFound', 'Unknown key id.');
    return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: JSON.stringify({ signing_key: key }) };
  });

  // The member's own security role, one row per module function (any member may read its own).
  server.route('GET', `${API}/system/mySecurity`, api({ level: 'inquire' }, (req, member) => {
    const level = (l: AccessLevel) => (held: Set<AccessLevel> | undefined) => (held?.has(l) ? 'All' : 'None');
    const rows = MODULES.map((module, i) => {
      const [moduleName, moduleFunctionName] = module.split(' > ') as [string, string];
      const held = member.rights.get(module);
      return {
        id: i + 1,
        moduleName,
        moduleFunctionName,
        addLevel: level('add')(held),
        editLevel: level('edit')(held),
        deleteLevel: level('delete')(held),
        inquireLevel: level('inquire')(held),
        member: { id: member.id, identifier: member.identifier },
      };
    });
    return listResponse(req, rows);
  }));

  server.route('GET', `${API}/system/info`, api({ level: 'inquire' }, () =>
    ok({ version: 'v2025.1.108533', isCloud: true, serverTimeZone: 'Eastern Standard Time', licenseBits: [], cloudRegion: 'NA' }),
  ));

  const callbacks = () => d().callbacks;
  server.route('GET', `${API}/system/callbacks`, api({ module: CALLBACKS, level: 'inquire' }, (req) => listResponse(req, callbacks())));
  server.route('GET', `${API}/system/callbacks/count`, api({ module: CALLBACKS, level: 'inquire' }, (req) => countResponse(req, callbacks())));
  server.route('GET', `${API}/system/callbacks/:id`, api({ module: CALLBACKS, level: 'inquire' }, (req) => {
    const c = findOr404(req, 'id', callbacks(), 'Callback');
    return isResponse(c) ? c : oneResponse(req, c);
  }));
  server.route('POST', `${API}/system/callbacks`, api({ module: CALLBACKS, level: 'add' }, (req, member) => {
    const b = (req.json ?? {}) as Record<string, unknown>;
    const errors = [];
    let url: URL | null = null;
    try {
      url = typeof b.url === 'string' ? new URL(b.url) : null;
    } catch {
      url = null;
    }
    if (!url || !/^https?:$/.test(url.protocol)) errors.push({ code: 'InvalidField', message: 'url must be an absolute http(s) URL.', field: 'url' });
    if (typeof b.type !== 'string' || b.type === '') errors.push({ code: 'InvalidField', message: 'type is required.', field: 'type' });
    const level = String(b.level ?? '');
    if (!['Owner', 'Board', 'Status', 'Company', 'Territory'].some((l) => l.toLowerCase() === level.toLowerCase())) {
      errors.push({ code: 'InvalidField', message: 'level must be Owner, Board, Status, Company or Territory.', field: 'level' });
    }
    if (typeof b.objectId !== 'number') errors.push({ code: 'InvalidField', message: 'objectId is required.', field: 'objectId' });
    else if (level.toLowerCase() === 'owner' && b.objectId !== 1) errors.push({ code: 'InvalidField', message: 'objectId must be 1 for level Owner.', field: 'objectId' });
    if (errors.length) return invalidObject('callbackEntry', errors);
    const entry: Callback = {
      id: ++d().nextId,
      description: typeof b.description === 'string' ? b.description : '',
      url: String(b.url),
      objectId: b.objectId as number,
      type: String(b.type),
      level,
      memberId: member.id,
      payloadVersion: typeof b.payloadVersion === 'string' ? b.payloadVersion : '2025.1',
      inactiveFlag: b.inactiveFlag === true,
      isSelfSuppressedFlag: b.isSelfSuppressedFlag === true,
      _info: { lastUpdated: new Date().toISOString(), updatedBy: member.identifier },
    };
    callbacks().push(entry);
    return ok(entry, 201);
  }));
  server.route('DELETE', `${API}/system/callbacks/:id`, api({ module: CALLBACKS, level: 'delete' }, (req) => {
    const c = findOr404(req, 'id', callbacks(), 'Callback');
    if (isResponse(c)) return c;
    d().callbacks = callbacks().filter((x) => x.id !== c.id);
    return { status: 204 };
  }));
}
