/**
 * The rules of HaloPSA assets as the simulator applies them. `POST /Asset` takes an array: an
 * element without `id` creates, with `id` updates the fields it lists. The whole array is checked
 * before anything is saved, and a refusal names the element (`[3].site_id`), as Halo's model state
 * does. Every asset belongs to a site (the customer follows from it) and has an asset type;
 * `fields` (the type's asset fields) and `customfields` take `{id | name, value}`; `users` take
 * `{id}` of the customer's users. `_isimport`, `_dontaddnewfields` and `_donotvalidate` are
 * accepted and change nothing here (what they do in Halo is not documented).
 */
import { HaloSimError, num, type HaloSimState } from './state';
import type { SimAsset } from './types';

/** Halo's datetimes: fractional seconds, no zone. */
export const haloNow = (): string => new Date().toISOString().replace(/Z$/, '');
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
const TEXT_MAX: Record<string, number> = { inventory_number: 100, key_field: 255, username: 255, warranty_note: 500, third_party_id_string: 255 };

/** Halo dates in and out: accepts any ISO date, stores Halo's zone-less form. */
function haloDate(v: unknown): string | null | 'invalid' {
  if (v === null || v === '') return null;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) return 'invalid';
  return new Date(/Z|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`).toISOString().replace(/Z$/, '');
}

/** The asset as `GET /Asset/{id}` shows it (`detail`), or the summary row of `GET /Asset`. */
export function assetView(state: HaloSimState, a: SimAsset, detail: boolean): Record<string, unknown> {
  const d = state.data;
  const client = d.clients.find((c) => c.id === a.client_id);
  const site = d.sites.find((s) => s.id === a.site_id);
  const type = d.assetTypes.find((t) => t.id === a.assettype_id);
  const row: Record<string, unknown> = {
    id: a.id,
    inventory_number: a.inventory_number,
    key_field: a.key_field,
    client_id: a.client_id,
    client_name: client?.name ?? '',
    site_id: a.site_id,
    site_name: site?.name ?? '',
    assettype_id: a.assettype_id,
    assettype_name: type?.name ?? '',
    status_id: a.status_id,
    inactive: a.inactive,
    username: a.username,
    third_party_id_string: a.third_party_id_string,
    warranty_end: a.warranty_end,
    last_modified: a.last_modified,
  };
  if (!detail) return row;
  return {
    ...row,
    ...assetFieldsView(state, a),
    notes: a.notes,
    warranty_start: a.warranty_start,
    warranty_note: a.warranty_note,
    users: a.users,
    datecreated: a.datecreated,
  };
}

/** `fields` and `customfields` as Halo lists them (every field of the type / every asset custom field). */
export function assetFieldsView(state: HaloSimState, a: SimAsset): { fields: unknown[]; customfields: unknown[] } {
  const d = state.data;
  const type = d.assetTypes.find((t) => t.id === a.assettype_id);
  return {
    fields: (type?.field_ids ?? []).map((id) => ({ id, name: d.assetFields.find((f) => f.id === id)?.name ?? '', value: a.fields[id] ?? '' })),
    customfields: d.assetCustomFields.map((f) => ({ id: f.id, name: f.name, label: f.label, type: f.type, value: a.customfields[f.id] ?? null })),
  };
}

/** Checks and applies one element over `base`; returns the problems keyed like Halo's model state. */
function apply(state: HaloSimState, base: SimAsset, r: Record<string, unknown>, index: number, creating: boolean): Record<string, string> {
  const d = state.data;
  const problems: Record<string, string> = {};
  const key = (k: string) => `[${index}].${k}`;
  const a = base;
  for (const [k, max] of Object.entries(TEXT_MAX)) {
    if (r[k] === undefined) continue;
    const v = r[k];
    if (v === null) (a as unknown as Record<string, unknown>)[k] = k === 'third_party_id_string' ? null : '';
    else if (typeof v !== 'string') problems[key(k)] = `${k} must be text`;
    else if (CONTROL.test(v)) problems[key(k)] = `${k} contains an invalid character`;
    else if (v.length > max) problems[key(k)] = `${k} must be ${max} characters or fewer`;
    else (a as unknown as Record<string, unknown>)[k] = v;
  }
  if (r.notes !== undefined) {
    if (r.notes !== null && (typeof r.notes !== 'string' || CONTROL.test(r.notes))) problems[key('notes')] = 'notes contains an invalid character';
    else a.notes = (r.notes as string | null) ?? '';
  }
  if (r.site_id !== undefined) {
    const site = d.sites.find((s) => s.id === num(r.site_id) && !s.inactive);
    if (!site) problems[key('site_id')] = 'A valid Site must be selected';
    else {
      a.site_id = site.id;
      a.client_id = site.client_id;
    }
  } else if (creating) problems[key('site_id')] = 'A Site must be selected';
  if (r.client_id !== undefined && num(r.client_id) !== undefined && num(r.client_id) !== a.client_id && !problems[key('site_id')]) {
    problems[key('client_id')] = 'The Site does not belong to this Customer';
  }
  if (r.assettype_id !== undefined) {
    const type = d.assetTypes.find((t) => t.id === num(r.assettype_id));
    if (!type) problems[key('assettype_id')] = 'A valid Asset Type must be selected';
    else if (type.inactive) problems[key('assettype_id')] = `Asset Type ${type.name} is inactive`;
    else a.assettype_id = type.id;
  } else if (creating) problems[key('assettype_id')] = 'An Asset Type must be selected';
  if (r.inactive !== undefined) {
    if (typeof r.inactive !== 'boolean') problems[key('inactive')] = 'inactive must be true or false';
    else a.inactive = r.inactive;
  }
  for (const k of ['warranty_start', 'warranty_end'] as const) {
    if (r[k] === undefined) continue;
    const v = haloDate(r[k]);
    if (v === 'invalid') problems[key(k)] = `${k} is not a valid date`;
    else a[k] = v;
  }
  const type = d.assetTypes.find((t) => t.id === a.assettype_id);
  if (r.fields !== undefined && r.fields !== null) {
    if (!Array.isArray(r.fields)) problems[key('fields')] = 'fields must be an array';
    else
      for (const f of r.fields as { id?: unknown; name?: unknown; value?: unknown }[]) {
        const def = d.assetFields.find((x) => x.id === num(f?.id) || (typeof f?.name === 'string' && x.name.toLowerCase() === f.name.toLowerCase()));
        if (!def || !type?.field_ids.includes(def.id)) problems[key('fields')] = `Field ${String(f?.id ?? f?.name)} is not a field of this Asset Type`;
        else if (f.value !== null && f.value !== undefined && (typeof f.value !== 'string' || CONTROL.test(f.value))) problems[key('fields')] = `The value of ${def.name} contains an invalid character`;
        else a.fields[def.id] = (f.value as string | null | undefined) ?? '';
      }
  }
  if (r.customfields !== undefined && r.customfields !== null) {
    if (!Array.isArray(r.customfields)) problems[key('customfields')] = 'customfields must be an array';
    else
      for (const f of r.customfields as { id?: unknown; name?: unknown; value?: unknown }[]) {
        const def = d.assetCustomFields.find((x) => x.id === num(f?.id) || (typeof f?.name === 'string' && x.name.toLowerCase() === f.name.toLowerCase()));
        if (!def) problems[key('customfields')] = `Custom field ${String(f?.id ?? f?.name)} does not exist`;
        else if (f.value !== null && f.value !== undefined && (typeof f.value !== 'string' || CONTROL.test(f.value))) problems[key('customfields')] = `The value of ${def.label} contains an invalid character`;
        else a.customfields[def.id] = (f.value as string | null | undefined) ?? null;
      }
  }
  if (r.users !== undefined && r.users !== null) {
    if (!Array.isArray(r.users)) problems[key('users')] = 'users must be an array';
    else {
      const users = (r.users as { id?: unknown }[]).map((u) => d.users.find((x) => x.id === num(u?.id) && x.client_id === a.client_id));
      if (users.some((u) => !u)) problems[key('users')] = 'Every user must belong to the asset\'s Customer';
      else a.users = users.map((u) => ({ id: (u as { id: number }).id, name: (u as { name: string }).name }));
    }
  }
  // The key field (display name) follows the type's key field, and an explicit key_field sets that field.
  if (type) {
    if (r.key_field !== undefined && typeof r.key_field === 'string') a.fields[type.keyfield_id] = r.key_field;
    a.key_field = a.fields[type.keyfield_id] ?? a.key_field;
  }
  return problems;
}

function blank(id: number): SimAsset {
  const t = haloNow();
  return {
    id, inventory_number: '', key_field: '', client_id: 0, site_id: 0, assettype_id: 0, status_id: 1, inactive: false, username: '', users: [], notes: '',
    warranty_start: null, warranty_end: null, warranty_note: '', third_party_id_string: null, fields: {}, customfields: {}, datecreated: t, last_modified: t,
  };
}

/** Saves every element or none; answers the saved assets in order. */
export function upsertAssets(state: HaloSimState, records: Record<string, unknown>[]): SimAsset[] {
  const d = state.data;
  const drafts: { existing: SimAsset | null; draft: SimAsset }[] = [];
  const problems: Record<string, string> = {};
  records.forEach((r, i) => {
    const id = num(r.id);
    const existing = id !== undefined && id > 0 ? (d.assets.find((a) => a.id === id) ?? null) : null;
    if (id !== undefined && id > 0 && !existing) {
      problems[`[${i}].id`] = `Asset ${id} not found`;
      return;
    }
    const draft = existing ? structuredClone(existing) : blank(0);
    Object.assign(problems, apply(state, draft, r, i, existing === null));
    drafts.push({ existing, draft });
  });
  if (Object.keys(problems).length) throw new HaloSimError(400, problems);
  const now = haloNow();
  return drafts.map(({ existing, draft }) => {
    draft.last_modified = now;
    if (existing) return Object.assign(existing, draft);
    draft.id = (d.nextId.asset = (d.nextId.asset ?? 20000) + 1);
    draft.datecreated = now;
    d.assets.push(draft);
    return draft;
  });
}
