/**
 * HaloPSA assets. Our device id is the asset's `inventory_number` (the one id-like field
 * `GET /Asset` filters on; also written to `third_party_id_string`), the display name is the asset
 * type's key field, the serial the type's "Serial Number" field, the platform link the asset
 * custom field labelled "Platform Device Link" when it exists, a matched user the asset's `users`.
 * Every asset needs a site. Writes are POST-array upserts of up to 100 assets. Requests:
 * - list: 1 per page of 100 (`lastupdatefromdate`, `includeassetfields`);
 * - find by device id: with a company, 1 per 100 of its assets; without, 1 per id (`inventory_number=`);
 * - find by serial / name: 1 per 100 assets of the company (1 `search` per value without one);
 * - create / update / deactivate: 1 per 100 (+1 per asset type once, for its fields); a refused
 *   batch is looked up and sent again one asset at a time, so one bad asset costs the others nothing;
 * - types: 1 to list, 1 to create.
 */
import { PsaNotFoundError, PsaUnavailableError, PsaValidationError } from '../core/errors';
import { asPsaError, stopsBatch, withRight } from '../core/batch';
import {
  chunk,
  fitText,
  groupBy,
  parseFieldKey,
  storableText,
  type ConfigurationFieldSpec,
  type ConfigurationListQuery,
  type ConfigurationOptions,
  type ConfigurationType,
  type ConfigurationUpdate,
  type ConfigurationWrite,
  type MatchField,
  type MissingRight,
  type PsaConfiguration,
  type PsaConfigurationItems,
  type WriteOutcome,
} from '../core/configurations';
import type { Page } from '../core/types';
import type { HaloApi } from './client';
import { parseList } from './client';
import { assetSchema, assetTypeSchema, userSchema, type HaloAsset, type HaloAssetType } from './inventory-schemas';

export const HALO_RIGHTS = {
  assets: 'Assets Access Level: Read and Modify',
  users: 'Users Access Level: Read Only (or more)',
} as const;
const WHERE = "the HaloPSA API agent's role (Configuration > Teams & Agents > Roles)";
const BATCH = 100;
const PAGE = 100;
export const LINK_FIELD_LABEL = 'Platform Device Link';

/** The asset's own fields a mapping may write. */
const STANDARD: readonly ConfigurationFieldSpec[] = [
  { key: 'field:warranty_start', label: 'Warranty Start', kind: 'field', dataType: 'date', maxLength: null },
  { key: 'field:warranty_end', label: 'Warranty End', kind: 'field', dataType: 'date', maxLength: null },
  { key: 'field:warranty_note', label: 'Warranty Note', kind: 'field', dataType: 'text', maxLength: 500 },
  { key: 'field:notes', label: 'Notes', kind: 'field', dataType: 'text', maxLength: null },
  { key: 'field:username', label: 'Username', kind: 'field', dataType: 'text', maxLength: 255 },
];

const text = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));
/** Halo keeps datetimes without a zone (UTC); we hand them out with one. */
const instant = (v: string | null | undefined): string | null => (v ? (/Z|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`) : null);
const haloDate = (v: string): string => {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new PsaValidationError(`"${v}" is not a date`, { details: ['date'] });
  return new Date(t).toISOString().replace(/Z$/, '');
};
const numericId = (v: string | null | undefined, what: string): number => {
  if (!/^\d{1,12}$/.test(v ?? '')) throw new PsaValidationError(`The HaloPSA ${what} "${v ?? ''}" is not a HaloPSA id`, { details: [what] });
  return Number(v);
};

export class HaloConfigurations implements PsaConfigurationItems {
  readonly traits = { maxBatch: BATCH, maxPageSize: PAGE, companyChangeable: true, typesCreatable: true, siteRequired: true, deviceIdField: 'inventory_number' };
  private readonly typeDetails = new Map<string, Promise<HaloAssetType>>();
  private linkField: Promise<string | null> | null = null;

  constructor(
    private readonly api: HaloApi,
    private readonly ensureAuth: () => Promise<unknown>,
    private readonly options: ConfigurationOptions = {},
  ) {}

  private toPsa(a: HaloAsset, linkFieldId: string | null): PsaConfiguration {
    const raw = a as Record<string, unknown>;
    const values: Record<string, string | null> = {};
    // Only what this answer carried: a list row lacks what only the single-asset read shows.
    for (const spec of STANDARD) {
      const name = spec.key.slice('field:'.length);
      if (name in raw) values[spec.key] = spec.dataType === 'date' ? instant(text(raw[name])) : text(raw[name]);
    }
    for (const f of a.fields ?? []) values[`assetfield:${f.id}`] = text(f.value);
    let link: string | null = null;
    for (const f of a.customfields ?? []) {
      if (f.id === linkFieldId || (linkFieldId === null && f.label === LINK_FIELD_LABEL)) link = text(f.value);
      else values[`custom:${f.id}`] = text(f.value);
    }
    const serial = (a.fields ?? []).find((f) => /serial/i.test(f.name ?? ''));
    return {
      id: a.id,
      deviceId: text(a.inventory_number),
      companyId: a.client_id ?? '',
      siteId: a.site_id ?? null,
      typeId: a.assettype_id ?? null,
      name: a.key_field ?? a.inventory_number ?? '',
      serialNumber: text(serial?.value),
      active: a.inactive !== true,
      lastModified: instant(a.last_modified),
      link,
      contactId: a.users?.[0]?.id ?? null,
      values,
    };
  }

  /** Id of the asset custom field that carries the platform link, when the tenant has one. */
  private linkFieldId(): Promise<string | null> {
    this.linkField ??= (async () => {
      const first = await this.api.list('Asset', 'assets', assetSchema, { pageinate: true, page_size: 1, page_no: 1, includeinactive: true, includeassetfields: true });
      const hit = first.items[0]?.customfields?.find((f) => f.label === LINK_FIELD_LABEL || f.name === LINK_FIELD_LABEL);
      if (hit) return hit.id;
      if (!first.items[0]) return null;
      const detail = await this.api.one(`Asset/${first.items[0].id}`, assetSchema);
      return detail?.customfields?.find((f) => f.label === LINK_FIELD_LABEL || f.name === LINK_FIELD_LABEL)?.id ?? null;
    })();
    this.linkField.catch(() => (this.linkField = null));
    return this.linkField;
  }

  private async page(query: Record<string, string | number | boolean | undefined>, pageNo: number, pageSize: number): Promise<{ items: PsaConfiguration[]; next: number | null }> {
    const link = await this.linkFieldId();
    const res = await this.api.list('Asset', 'assets', assetSchema, { ...query, pageinate: true, page_size: pageSize, page_no: pageNo, includeassetfields: true, order: 'id' });
    const total = res.recordCount;
    const more = total === null ? res.items.length === pageSize : pageNo * pageSize < total;
    return { items: res.items.map((a) => this.toPsa(a, link)), next: more && res.items.length > 0 ? pageNo + 1 : null };
  }

  private async all(query: Record<string, string | number | boolean | undefined>): Promise<PsaConfiguration[]> {
    const out: PsaConfiguration[] = [];
    for (let pageNo = 1; ; pageNo += 1) {
      const p = await this.page(query, pageNo, PAGE);
      out.push(...p.items);
      if (p.next === null) return out;
    }
  }

  async list(query: ConfigurationListQuery = {}): Promise<Page<PsaConfiguration>> {
    const q: Record<string, string | number | boolean | undefined> = {};
    if (query.companyId !== undefined) q.client_id = numericId(query.companyId, 'customer');
    if (query.includeInactive) q.includeinactive = true;
    if (query.modifiedSince !== undefined) q.lastupdatefromdate = haloDate(query.modifiedSince);
    const pageNo = query.cursor && /^\d+$/.test(query.cursor) ? Number(query.cursor) : 1;
    const p = await withRight(HALO_RIGHTS.assets, WHERE, () => this.page(q, pageNo, Math.min(Math.max(1, query.pageSize ?? PAGE), PAGE)));
    return { items: p.items, nextCursor: p.next === null ? null : String(p.next) };
  }

  async get(id: string): Promise<PsaConfiguration | null> {
    if (!/^\d{1,12}$/.test(id)) return null;
    const a = await withRight(HALO_RIGHTS.assets, WHERE, () => this.api.one(`Asset/${id}`, assetSchema));
    return a ? this.toPsa(a, await this.linkFieldId()) : null;
  }

  async findByDeviceIds(deviceIds: readonly string[], scope: { companyId?: string } = {}): Promise<Map<string, PsaConfiguration[]>> {
    const wanted = [...new Set(deviceIds.filter((d) => d !== ''))];
    const found = await withRight(HALO_RIGHTS.assets, WHERE, async () => {
      if (scope.companyId !== undefined) return this.all({ client_id: numericId(scope.companyId, 'customer'), includeinactive: true });
      const rows: PsaConfiguration[] = [];
      for (const id of wanted) rows.push(...(await this.all({ inventory_number: id, search_inventory_number_only: true, includeinactive: true })));
      return rows;
    });
    return groupBy(deviceIds, found, (c) => c.deviceId);
  }

  async findByMatch(field: MatchField, values: readonly string[], scope: { companyId?: string } = {}): Promise<Map<string, PsaConfiguration[]>> {
    const keyOf = (c: PsaConfiguration) => (field === 'serialNumber' ? c.serialNumber : c.name);
    const found = await withRight(HALO_RIGHTS.assets, WHERE, async () => {
      if (scope.companyId !== undefined) return this.all({ client_id: numericId(scope.companyId, 'customer'), includeinactive: true });
      const rows: PsaConfiguration[] = [];
      for (const v of new Set(values.filter((x) => x !== ''))) rows.push(...(await this.all({ search: v, includeinactive: true })));
      return rows;
    });
    return groupBy(values, found, keyOf);
  }

  private type(typeId: string): Promise<HaloAssetType> {
    let t = this.typeDetails.get(typeId);
    if (!t) {
      t = this.api.one(`AssetType/${numericId(typeId, 'asset type')}`, assetTypeSchema, { includedetails: true }).then((x) => {
        if (!x) throw new PsaValidationError(`HaloPSA has no asset type ${typeId}`, { details: ['assettype_id'] });
        return x;
      });
      t.catch(() => this.typeDetails.delete(typeId));
      this.typeDetails.set(typeId, t);
    }
    return t;
  }

  /** The asset record to POST: fixed parts, then mapped values; `typeId` decides which asset fields exist. */
  private async record(id: number | null, typeId: string | null, c: Partial<ConfigurationWrite> & { active?: boolean }): Promise<Record<string, unknown>> {
    const rec: Record<string, unknown> = id === null ? {} : { id };
    const fields: { id: number; value: string | null }[] = [];
    const custom: { id: number; value: string | null }[] = [];
    const type = typeId ? await this.type(typeId) : null;
    const fieldOf = (pattern: RegExp) => type?.fields?.find((f) => pattern.test(f.name))?.id ?? null;
    if (c.deviceId !== undefined) {
      if (c.deviceId.trim() === '' || c.deviceId.length > 100 || storableText(c.deviceId) !== c.deviceId) {
        throw new PsaValidationError('The device id does not fit the HaloPSA inventory number (1 to 100 characters, no control characters)', { details: ['inventory_number'] });
      }
      rec.inventory_number = c.deviceId;
      rec.third_party_id_string = c.deviceId;
    }
    if (c.companyId !== undefined) rec.client_id = numericId(c.companyId, 'customer');
    if (c.siteId !== undefined) rec.site_id = c.siteId ? numericId(c.siteId, 'site') : null;
    if (c.typeId !== undefined) rec.assettype_id = numericId(c.typeId, 'asset type');
    if (c.active !== undefined) rec.inactive = !c.active;
    if (c.name !== undefined) {
      const name = fitText(c.name.trim() || c.deviceId || '', 255);
      rec.key_field = name;
      const keyId = type?.keyfield_id ?? null;
      if (keyId) fields.push({ id: Number(keyId), value: name });
    }
    if (c.serialNumber !== undefined) {
      const serialId = fieldOf(/serial/i);
      if (serialId) fields.push({ id: Number(serialId), value: c.serialNumber ? fitText(c.serialNumber, 255) : null });
    }
    if (c.contactId !== undefined) rec.users = c.contactId ? [{ id: numericId(c.contactId, 'user') }] : [];
    if (c.link !== undefined) {
      const linkId = await this.linkFieldId();
      if (linkId) custom.push({ id: Number(linkId), value: c.link ? fitText(c.link, 1000) : null });
    }
    for (const [key, v] of Object.entries(c.values ?? {})) {
      const p = parseFieldKey(key);
      const spec = STANDARD.find((s) => s.key === key);
      if (p?.kind === 'field' && spec) rec[p.name] = v === null ? null : spec.dataType === 'date' ? haloDate(v) : spec.maxLength ? fitText(v, spec.maxLength) : storableText(v);
      else if (p?.kind === 'assetfield' && /^\d+$/.test(p.name)) fields.push({ id: Number(p.name), value: v === null ? null : storableText(v) });
      else if (p?.kind === 'custom' && /^\d+$/.test(p.name)) custom.push({ id: Number(p.name), value: v === null ? null : storableText(v) });
      else throw new PsaValidationError(`HaloPSA assets have no writable field ${key}`, { details: [key] });
    }
    if (fields.length) rec.fields = fields;
    if (custom.length) rec.customfields = custom;
    return rec;
  }

  /** POSTs one array; the saved assets come back in order (an object for one, an array or wrapper for several). */
  private async post(records: Record<string, unknown>[], idempotent: boolean): Promise<HaloAsset[] | null> {
    await this.ensureAuth();
    const res = await withRight(HALO_RIGHTS.assets, WHERE, () => this.api.http.request({ method: 'POST', url: 'api/Asset', json: records, idempotent }));
    const body = res.body;
    const list = Array.isArray(body) ? body : body && typeof body === 'object' && 'id' in body ? [body] : parseList(body, 'assets', assetSchema).items;
    const parsed = list.map((x) => assetSchema.safeParse(x));
    if (parsed.length !== records.length || parsed.some((p) => !p.success)) return null;
    return parsed.map((p) => p.data as HaloAsset);
  }

  async create(items: readonly ConfigurationWrite[]): Promise<WriteOutcome[]> {
    const out: WriteOutcome[] = new Array(items.length);
    let stop: ReturnType<typeof asPsaError> | null = null;
    const indexed = items.map((w, i) => ({ w, i }));
    for (const batch of chunk(indexed, BATCH)) {
      if (stop) {
        for (const { i } of batch) out[i] = { ok: false, error: stop };
        continue;
      }
      const ready: { w: ConfigurationWrite; i: number; rec: Record<string, unknown> }[] = [];
      for (const { w, i } of batch) {
        try {
          if (!w.siteId) throw new PsaValidationError('HaloPSA needs a site for every asset: give the device a site or set a default site', { details: ['site_id'] });
          ready.push({ w, i, rec: await this.record(null, w.typeId, { ...w, active: true }) });
        } catch (err) {
          out[i] = { ok: false, error: asPsaError(err) };
        }
      }
      if (!ready.length) continue;
      try {
        const saved = await this.post(ready.map((r) => r.rec), false);
        if (saved) saved.forEach((a, k) => (out[(ready[k] as { i: number }).i] = { ok: true, id: a.id }));
        else await this.settle(ready, out, false);
      } catch (err) {
        const e = asPsaError(err);
        if (stopsBatch(e)) {
          stop = e;
          for (const r of ready) out[r.i] = { ok: false, error: e };
        } else if (e instanceof PsaValidationError && ready.length > 1) {
          // One bad asset refuses the array: keep what Halo may have saved, send the rest one by one.
          await this.settle(ready, out, true);
        } else for (const r of ready) out[r.i] = { ok: false, error: e };
      }
    }
    return out;
  }

  /** After an answer we cannot read item by item: each asset is looked up, and (`resend`) sent alone when absent. */
  private async settle(ready: { w: ConfigurationWrite; i: number; rec: Record<string, unknown> }[], out: WriteOutcome[], resend: boolean): Promise<void> {
    const byCompany = new Map<string, typeof ready>();
    for (const r of ready) byCompany.set(r.w.companyId, [...(byCompany.get(r.w.companyId) ?? []), r]);
    for (const [companyId, group] of byCompany) {
      const found = await this.findByDeviceIds(group.map((r) => r.w.deviceId), { companyId });
      for (const r of group) {
        const hit = found.get(r.w.deviceId)?.[0];
        if (hit) out[r.i] = { ok: true, id: hit.id };
        else if (!resend) out[r.i] = { ok: false, error: new PsaUnavailableError(`HaloPSA did not report asset ${r.w.deviceId} as saved`) };
        else {
          try {
            const saved = await this.post([r.rec], false);
            out[r.i] = saved?.[0] ? { ok: true, id: saved[0].id } : { ok: false, error: new PsaUnavailableError(`HaloPSA did not report asset ${r.w.deviceId} as saved`) };
          } catch (err) {
            out[r.i] = { ok: false, error: asPsaError(err) };
          }
        }
      }
    }
  }

  async update(items: readonly ConfigurationUpdate[]): Promise<WriteOutcome[]> {
    const out: WriteOutcome[] = new Array(items.length);
    let stop: ReturnType<typeof asPsaError> | null = null;
    for (const batch of chunk(items.map((u, i) => ({ u, i })), BATCH)) {
      if (stop) {
        for (const { i } of batch) out[i] = { ok: false, error: stop };
        continue;
      }
      const ready: { i: number; rec: Record<string, unknown> }[] = [];
      for (const { u, i } of batch) {
        try {
          const id = numericId(u.id, 'asset');
          const typeId = u.changes.typeId ?? u.current?.typeId ?? null;
          const needsType = u.changes.name !== undefined || u.changes.serialNumber !== undefined;
          const current = needsType && !typeId ? await this.get(u.id) : null;
          if (needsType && !typeId && !current) throw new PsaNotFoundError(`HaloPSA asset ${u.id} does not exist`);
          ready.push({ i, rec: await this.record(id, typeId ?? current?.typeId ?? null, u.changes) });
        } catch (err) {
          out[i] = { ok: false, error: asPsaError(err) };
        }
      }
      if (!ready.length) continue;
      const sendAlone = async (r: { i: number; rec: Record<string, unknown> }) => {
        try {
          await this.post([r.rec], true);
          out[r.i] = { ok: true, id: String(r.rec.id) };
        } catch (err) {
          out[r.i] = { ok: false, error: asPsaError(err) };
        }
      };
      try {
        await this.post(ready.map((r) => r.rec), true);
        for (const r of ready) out[r.i] = { ok: true, id: String(r.rec.id) };
      } catch (err) {
        const e = asPsaError(err);
        if (stopsBatch(e)) {
          stop = e;
          for (const r of ready) out[r.i] = { ok: false, error: e };
        } else if ((e instanceof PsaValidationError || e instanceof PsaNotFoundError) && ready.length > 1) {
          // Updates are safe to send again: one at a time, so each answers for itself.
          for (const r of ready) await sendAlone(r);
        } else for (const r of ready) out[r.i] = { ok: false, error: e };
      }
    }
    return out;
  }

  deactivate(ids: readonly string[]): Promise<WriteOutcome[]> {
    return this.update(ids.map((id) => ({ id, changes: { active: false } })));
  }

  async listTypes(): Promise<ConfigurationType[]> {
    const res = await withRight(HALO_RIGHTS.assets, WHERE, () => this.api.list('AssetType', 'assettypes', assetTypeSchema, { showinactive: true }));
    return res.items.map((t) => ({ id: t.id, name: t.name, active: t.inactive !== true }));
  }

  async createType(name: string): Promise<ConfigurationType> {
    const clean = fitText(name.trim(), 100);
    if (!clean) throw new PsaValidationError('An asset type needs a name', { details: ['name'] });
    const existing = async () => (await this.listTypes()).find((t) => t.name.toLowerCase() === clean.toLowerCase()) ?? null;
    const found = await existing();
    if (found) return found;
    try {
      await this.ensureAuth();
      const saved = await withRight(HALO_RIGHTS.assets, WHERE, () =>
        this.api.upsert('AssetType', { name: clean, ...(this.options.assetGroupId ? { assetgroup_id: numericId(this.options.assetGroupId, 'asset group') } : {}) }, { idempotent: false }),
      );
      const t = assetTypeSchema.parse(saved);
      return { id: t.id, name: t.name, active: t.inactive !== true };
    } catch (err) {
      if (err instanceof PsaValidationError) {
        const again = await existing();
        if (again) return again;
      }
      throw err;
    }
  }

  async fieldCatalog(): Promise<ConfigurationFieldSpec[]> {
    return withRight(HALO_RIGHTS.assets, WHERE, async () => {
      const types = (await this.listTypes()).filter((t) => t.active);
      const assetFields = new Map<string, string>();
      for (const t of types) for (const f of (await this.type(t.id)).fields ?? []) assetFields.set(f.id, f.name);
      const first = (await this.api.list('Asset', 'assets', assetSchema, { pageinate: true, page_size: 1, page_no: 1, includeinactive: true })).items[0];
      const detail = first ? await this.api.one(`Asset/${first.id}`, assetSchema) : null;
      const custom = (detail?.customfields ?? [])
        .filter((f) => f.label !== LINK_FIELD_LABEL && f.name !== LINK_FIELD_LABEL)
        .map((f) => ({
          key: `custom:${f.id}`,
          label: f.label ?? f.name ?? `Custom field ${f.id}`,
          kind: 'custom' as const,
          dataType: (String(f.type) === '3' ? 'date' : String(f.type) === '4' ? 'number' : 'text') as ConfigurationFieldSpec['dataType'],
          maxLength: null,
        }));
      const fields = [...assetFields].map(([id, label]) => ({ key: `assetfield:${id}`, label, kind: 'assetfield' as const, dataType: 'text' as const, maxLength: 255 }));
      return [...STANDARD, ...fields, ...custom];
    });
  }

  async checkRights(): Promise<MissingRight[]> {
    const probes: [string, string, string][] = [
      ['Asset', HALO_RIGHTS.assets, `Set "Assets Access Level" to "Read and Modify" in ${WHERE}.`],
      ['Users', HALO_RIGHTS.users, `Set "Users Access Level" to at least "Read Only" in ${WHERE}; user matching needs it.`],
    ];
    const missing: MissingRight[] = [];
    for (const [path, right, detail] of probes) {
      try {
        await this.api.get(path, { pageinate: true, page_size: 1, page_no: 1 });
      } catch (err) {
        if (asPsaError(err).kind !== 'permission') throw err;
        missing.push({ right, detail });
      }
    }
    return missing;
  }
}

/** Users of one customer (1 request per 100), for matching a device's last logged-in user. */
export async function haloUsersOf(api: HaloApi, clientId: string): Promise<{ id: string; name: string; email: string | null; login: string | null; active: boolean }[]> {
  const out = [];
  for (let pageNo = 1; ; pageNo += 1) {
    const res = await withRight(HALO_RIGHTS.users, WHERE, () => api.list('Users', 'users', userSchema, { client_id: numericId(clientId, 'customer'), pageinate: true, page_size: PAGE, page_no: pageNo }));
    out.push(
      ...res.items.map((u) => ({
        id: u.id,
        name: u.name ?? [u.firstname, u.surname].filter(Boolean).join(' '),
        email: text(u.emailaddress),
        login: text(u.login),
        active: u.inactive !== true,
      })),
    );
    if (res.items.length < PAGE || (res.recordCount !== null && pageNo * PAGE >= res.recordCount)) return out;
  }
}
