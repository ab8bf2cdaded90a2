/**
 * Assets (`/Asset`: paged list with Halo's filters, one asset with its fields, POST-array upsert,
 * delete), asset types (`/AssetType`: plain array; POST creates), asset groups, and the customer
 * side of device sync and organization import: `POST /Client` under a top level, `/Site`,
 * `/TopLevel` and `/Users`. Assets need the role's Assets access ("Read and Modify" to write),
 * customers, sites and top levels the Customers access, users the Users access.
 */
import type { SimServer } from '../../common/server';
import { assetFieldsView, assetView, haloNow, upsertAssets } from '../assets';
import type { makeGate } from '../gate';
import { isTrue, matches, notFound, plainList, wrappedList } from '../listing';
import { HaloSimError, num, type HaloSimState } from '../state';
import type { SimClient, SimSite } from '../types';
import { records, saved } from './common';

/** Halo caps asset pages like ticket pages. */
const ASSETS_MAX_PAGE = 100;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/** `lastupdatefromdate` and friends: any ISO date; zone-less means UTC, as Halo stores it. */
function instant(v: string | null): number | null {
  if (!v) return null;
  const t = Date.parse(/Z|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
  if (Number.isNaN(t)) throw new HaloSimError(400, `Invalid date: ${v}`);
  return t;
}

export function registerAssetRoutes(server: SimServer, state: HaloSimState, gate: ReturnType<typeof makeGate>): void {
  const d = () => state.data;

  server.route('GET', '/api/Asset', gate.api('assets', (req) => {
    const q = req.query;
    const clientId = num(q.get('client_id'));
    const siteId = num(q.get('site_id'));
    const typeId = num(q.get('assettype_id'));
    const tag = q.get('inventory_number');
    const from = instant(q.get('lastupdatefromdate'));
    const to = instant(q.get('lastupdatetodate'));
    const tagOnly = isTrue(q, 'search_inventory_number_only');
    const rows = d().assets.filter((a) => {
      const modified = from === null && to === null ? 0 : (instant(a.last_modified) as number);
      return (
        (isTrue(q, 'includeinactive') || !a.inactive) &&
        (clientId === undefined || a.client_id === clientId) &&
        (siteId === undefined || a.site_id === siteId) &&
        (typeId === undefined || a.assettype_id === typeId) &&
        (tag === null || a.inventory_number.toLowerCase() === tag.toLowerCase()) &&
        (q.get('username') === null || a.username.toLowerCase() === (q.get('username') as string).toLowerCase()) &&
        (from === null || modified >= from) &&
        (to === null || modified <= to) &&
        (tagOnly ? matches(q.get('search'), a.inventory_number) : matches(q.get('search'), a.inventory_number, a.key_field, ...Object.values(a.fields)))
      );
    });
    const order = (q.get('order') ?? 'id').toLowerCase();
    const keyOf = (a: (typeof rows)[number]): string | number => (order === 'last_modified' ? (instant(a.last_modified) as number) : order === 'inventory_number' ? a.inventory_number.toLowerCase() : a.id);
    const keys = new Map(rows.map((r) => [r, keyOf(r)]));
    const sorted = [...rows].sort((x, y) => {
      const a = keys.get(x) as string | number;
      const b = keys.get(y) as string | number;
      const c = a < b ? -1 : a > b ? 1 : x.id - y.id;
      return isTrue(q, 'orderdesc') ? -c : c;
    });
    const withFields = isTrue(q, 'includeassetfields');
    // Shape only the rows of the page asked for.
    const res = wrappedList(sorted, q, 'assets', ASSETS_MAX_PAGE);
    const body = res.body as { assets: typeof sorted };
    return { ...res, body: { ...body, assets: body.assets.map((a) => ({ ...assetView(state, a, false), ...(withFields ? assetFieldsView(state, a) : {}) })) } };
  }));
  server.route('GET', '/api/Asset/:id', gate.api('assets', (req) => {
    const a = d().assets.find((x) => x.id === num(req.params.id));
    return a ? { status: 200, body: assetView(state, a, true) } : notFound('Asset', req.params.id ?? '');
  }));
  server.route('POST', '/api/Asset', gate.write('assets', (req) => saved(upsertAssets(state, records(req)).map((a) => assetView(state, a, true)))));
  server.route('DELETE', '/api/Asset/:id', gate.write('assets', (req) => {
    const id = num(req.params.id) ?? -1;
    if (!d().assets.some((a) => a.id === id)) return notFound('Asset', req.params.id ?? '');
    d().assets = d().assets.filter((a) => a.id !== id);
    return { status: 200, body: { id } };
  }));

  const typeView = (t: HaloSimState['data']['assetTypes'][number], details: boolean) => ({
    id: t.id,
    name: t.name,
    assetgroup_id: t.assetgroup_id,
    assetgroup_name: d().assetGroups.find((g) => g.id === t.assetgroup_id)?.name ?? '',
    keyfield_id: t.keyfield_id,
    inactive: t.inactive,
    ...(details ? { fields: t.field_ids.map((id) => ({ id, name: d().assetFields.find((f) => f.id === id)?.name ?? '' })) } : {}),
  });
  server.route('GET', '/api/AssetType', gate.api('assets', () => plainList(d().assetTypes.map((t) => typeView(t, false)))));
  server.route('GET', '/api/AssetType/:id', gate.api('assets', (req) => {
    const t = d().assetTypes.find((x) => x.id === num(req.params.id));
    return t ? { status: 200, body: typeView(t, isTrue(req.query, 'includedetails')) } : notFound('Asset Type', req.params.id ?? '');
  }));
  server.route('POST', '/api/AssetType', gate.write('assets', (req) => {
    const list = records(req);
    const problems: Record<string, string> = {};
    list.forEach((r, i) => {
      const name = typeof r.name === 'string' ? r.name.trim() : '';
      if (!name) problems[`[${i}].name`] = 'A Name must be entered';
      else if (name.length > 100 || CONTROL.test(name)) problems[`[${i}].name`] = 'The Name is too long or contains an invalid character';
      else if (d().assetTypes.some((t) => t.name.toLowerCase() === name.toLowerCase())) problems[`[${i}].name`] = `An Asset Type named ${name} already exists`;
      // Whether Halo insists on a group is not documented: without one the first group is used.
      if (r.assetgroup_id !== undefined && !d().assetGroups.some((g) => g.id === num(r.assetgroup_id))) problems[`[${i}].assetgroup_id`] = 'A valid Asset Group must be selected';
    });
    if (Object.keys(problems).length) throw new HaloSimError(400, problems);
    const created = list.map((r) => {
      const t = {
        id: (d().nextId.assettype = (d().nextId.assettype ?? 100) + 1),
        name: (r.name as string).trim(),
        assetgroup_id: num(r.assetgroup_id) ?? (d().assetGroups[0]?.id as number),
        inactive: false,
        keyfield_id: 1,
        field_ids: [1, 2, 3, 4, 5, 6],
      };
      d().assetTypes.push(t);
      return typeView(t, true);
    });
    return saved(created);
  }));
  server.route('GET', '/api/AssetGroup', gate.api('assets', () => plainList(d().assetGroups)));

  // ---- customers, sites, top levels, users -----------------------------------------------------

  server.route('POST', '/api/Client', gate.write('customers', (req) => {
    const list = records(req);
    const problems: Record<string, string> = {};
    list.forEach((r, i) => {
      const name = typeof r.name === 'string' ? r.name.trim() : '';
      if (!name) problems[`[${i}].name`] = 'A Name must be entered';
      else if (name.length > 255 || CONTROL.test(name)) problems[`[${i}].name`] = 'The Name is too long or contains an invalid character';
      // Whether a top level is required is not documented: without one the first top level is used.
      if (r.toplevel_id !== undefined && !d().topLevels.some((t) => t.id === num(r.toplevel_id))) problems[`[${i}].toplevel_id`] = 'A valid Top Level must be selected';
      if (r.id !== undefined && num(r.id) !== 0 && !d().clients.some((c) => c.id === num(r.id))) problems[`[${i}].id`] = `Customer ${String(r.id)} not found`;
    });
    if (Object.keys(problems).length) throw new HaloSimError(400, problems);
    return saved(
      list.map((r) => {
        const existing = d().clients.find((c) => c.id === num(r.id));
        const top = d().topLevels.find((t) => t.id === (num(r.toplevel_id) ?? existing?.toplevel_id ?? d().topLevels[0]?.id)) ?? { id: 1, name: '' };
        if (existing) {
          if (typeof r.name === 'string') existing.name = r.name.trim();
          if (r.toplevel_id !== undefined) Object.assign(existing, { toplevel_id: top.id, toplevel_name: top.name });
          return { ...existing };
        }
        const id = (d().nextId.client = (d().nextId.client ?? 1000) + 1) - 1;
        const siteId = (d().nextId.site = (d().nextId.site ?? 10_000) + 1) - 1;
        const client: SimClient = { id, name: (r.name as string).trim(), toplevel_id: top.id, toplevel_name: top.name, inactive: false, main_site_id: siteId, accountsid: `ACC${id}` };
        const site: SimSite = {
          id: siteId,
          name: typeof r.newclient_sitename === 'string' && r.newclient_sitename.trim() ? r.newclient_sitename.trim() : 'Main',
          client_id: id,
          client_name: client.name,
          inactive: false,
          last_modified: haloNow(),
        };
        d().clients.push(client);
        d().sites.push(site);
        return { ...client, main_site_name: site.name };
      }),
    );
  }));

  server.route('GET', '/api/Site', gate.api('customers', (req) => {
    const q = req.query;
    const clientId = num(q.get('client_id'));
    const rows = d().sites.filter((s) => (isTrue(q, 'includeinactive') || !s.inactive) && (clientId === undefined || s.client_id === clientId) && matches(q.get('search'), s.name));
    return wrappedList(rows, q, 'sites', 500);
  }));
  server.route('GET', '/api/Site/:id', gate.api('customers', (req) => {
    const s = d().sites.find((x) => x.id === num(req.params.id));
    return s ? { status: 200, body: { ...s } } : notFound('Site', req.params.id ?? '');
  }));
  server.route('GET', '/api/TopLevel', gate.api('customers', (req) => wrappedList(d().topLevels, req.query, 'tree', 500)));

  server.route('GET', '/api/Users', gate.api('users', (req) => {
    const q = req.query;
    const clientId = num(q.get('client_id'));
    const rows = d().users.filter(
      (u) => (isTrue(q, 'includeinactive') || !u.inactive) && (clientId === undefined || u.client_id === clientId) && matches(q.get('search'), u.name, u.emailaddress, u.login),
    );
    return wrappedList(rows, q, 'users', 500);
  }));
}
