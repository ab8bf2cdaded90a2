/**
 * ConnectWise configurations (`company/configurations`). Our device id is `deviceIdentifier`, the
 * platform link `managementLink`. Requests per operation:
 * - list: 1 per page of up to 1000 (forward-only paging; `_info/lastUpdated >= [since]`);
 * - find by device id / serial / name: 1 per ~30 values (an `in (…)` condition, kept under the URL limit);
 * - create: 1 per 100 (`POST …/bulk`, 207 per item); where the answer does not say which item got
 *   which id, 1 more read per batch finds them by device id;
 * - update / deactivate: 1 PATCH each (a custom-field change needs the current record: 1 GET
 *   more when the caller does not pass it);
 * - types: 1 per 1000 to list, 1 to create.
 */
import { PsaNotFoundError, PsaUnavailableError, PsaValidationError } from '../core/errors';
import { allFailed, asPsaError, eachItem, stopsBatch, withRight } from '../core/batch';
import {
  chunk,
  fitText,
  groupBy,
  parseFieldKey,
  storableText,
  type ConfigurationFieldSpec,
  type ConfigurationListQuery,
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
import { cwString, MAX_PAGE_SIZE, parse, type ConnectWiseApi } from './api';
import { bulkItemSchema, configurationSchema, configurationTypeSchema, type BulkItem, type CwConfiguration } from './inventory-schemas';
import { idOnlySchema } from './schemas';
import { isCwId } from './picklists';

const PATH = 'company/configurations';
export const CW_RIGHTS = {
  inquire: 'Companies > Configurations (Inquire)',
  add: 'Companies > Configurations (Add)',
  edit: 'Companies > Configurations (Edit)',
  typeAdd: 'System > Table Setup (Add)',
  contacts: 'Companies > Contacts (Inquire)',
} as const;
const WHERE = "the API member's security role, System > Security Roles";
const BULK = 100;
/** Longest `conditions` we send in a URL (the API wants URLs under 2000 characters). */
const CONDITIONS_MAX = 1400;

/** The configuration's own fields a mapping may write, with their lengths. */
const STANDARD: readonly ConfigurationFieldSpec[] = [
  ['modelNumber', 'Model Number', 'text', 50],
  ['tagNumber', 'Tag Number', 'text', 50],
  ['osType', 'OS Type', 'text', 250],
  ['osInfo', 'OS Info', 'text', 250],
  ['ipAddress', 'IP Address', 'text', 50],
  ['macAddress', 'MAC Address', 'text', 25],
  ['lastLoginName', 'Last Login Name', 'text', 100],
  ['remoteLink', 'Remote Link', 'text', 1000],
  ['warrantyExpirationDate', 'Warranty Expiration', 'date', null],
  ['purchaseDate', 'Purchase Date', 'date', null],
  ['installationDate', 'Installation Date', 'date', null],
  ['notes', 'Notes', 'text', null],
].map(([name, label, dataType, max]) => ({ key: `field:${name}`, label: label as string, kind: 'field' as const, dataType: dataType as 'text' | 'date', maxLength: max as number | null }));
const STANDARD_NAMES = new Set(STANDARD.map((f) => f.key.slice('field:'.length)));

const CUSTOM_TYPES: Record<string, ConfigurationFieldSpec['dataType']> = { Text: 'text', Date: 'date', Number: 'number', Checkbox: 'boolean' };

/** `YYYY-MM-DD…` → the PSA's datetime (`2025-01-31T00:00:00Z`), as warranty scripts write it. */
function cwDate(value: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new PsaValidationError(`"${value}" is not a date`, { details: ['date'] });
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function valueText(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  return String(v);
}

export function toPsaConfiguration(c: CwConfiguration): PsaConfiguration {
  const raw = c as Record<string, unknown>;
  const values: Record<string, string | null> = {};
  for (const name of STANDARD_NAMES) values[`field:${name}`] = valueText(raw[name]);
  for (const f of c.customFields ?? []) values[`custom:${f.id}`] = valueText(f.value);
  const updated = c._info?.lastUpdated;
  return {
    id: String(c.id),
    deviceId: c.deviceIdentifier ?? null,
    companyId: String(c.company.id),
    siteId: c.site ? String(c.site.id) : null,
    typeId: c.type ? String(c.type.id) : null,
    name: c.name,
    serialNumber: c.serialNumber ?? null,
    active: c.activeFlag !== false,
    lastModified: typeof updated === 'string' ? updated : null,
    link: c.managementLink ?? null,
    contactId: c.contact ? String(c.contact.id) : null,
    values,
  };
}

/** A device id as ConnectWise can store and find it. */
function checkDeviceId(deviceId: string): void {
  if (deviceId.trim() === '' || deviceId.length > 100 || storableText(deviceId) !== deviceId) {
    throw new PsaValidationError('The device id does not fit ConnectWise deviceIdentifier (1 to 100 characters, no control characters)', { details: ['deviceIdentifier'] });
  }
}

function requireNumeric(value: string | null | undefined, what: string): number {
  if (!isCwId(value ?? undefined)) throw new PsaValidationError(`The ConnectWise ${what} "${value ?? ''}" is not a ConnectWise id`, { details: [what] });
  return Number(value);
}

/** Groups `values` into `in (…)` lists that keep each condition under the URL budget. */
export function inLists(field: string, values: readonly string[], extra: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  const render = (list: string[]) => `${field} in (${list.map(cwString).join(',')})${extra ? ` and ${extra}` : ''}`;
  for (const v of values) {
    if (current.length > 0 && render([...current, v]).length > CONDITIONS_MAX) {
      out.push(render(current));
      current = [];
    }
    current.push(v);
  }
  if (current.length) out.push(render(current));
  return out;
}

export class ConnectWiseConfigurations implements PsaConfigurationItems {
  readonly traits = { maxBatch: BULK, maxPageSize: MAX_PAGE_SIZE, companyChangeable: true, typesCreatable: true, siteRequired: false, deviceIdField: 'deviceIdentifier' };
  private customDefs: Promise<Map<number, string>> | null = null;

  constructor(private readonly api: ConnectWiseApi) {}

  /** One forward-only page (`id > pageId`), ordered by id. */
  private async page(conditions: string, pageId: number, pageSize: number): Promise<{ items: CwConfiguration[]; next: number | null }> {
    const res = await this.api.send({
      method: 'GET',
      path: PATH,
      idempotent: true,
      headers: { 'pagination-type': 'forward-only' },
      query: { conditions: conditions || undefined, pageSize, pageId: pageId || undefined },
    });
    if (!Array.isArray(res.body)) throw new PsaUnavailableError('ConnectWise returned an unexpected configuration list');
    const items = res.body.map((x) => parse(configurationSchema, x, 'configuration'));
    const last = items[items.length - 1];
    return { items, next: items.length === pageSize && last ? last.id : null };
  }

  private async all(conditions: string): Promise<CwConfiguration[]> {
    const out: CwConfiguration[] = [];
    let pageId = 0;
    for (;;) {
      const p = await this.page(conditions, pageId, MAX_PAGE_SIZE);
      out.push(...p.items);
      if (p.next === null || p.next <= pageId) return out;
      pageId = p.next;
    }
  }

  async list(query: ConfigurationListQuery = {}): Promise<Page<PsaConfiguration>> {
    const conditions: string[] = [];
    if (query.companyId !== undefined) conditions.push(`company/id=${requireNumeric(query.companyId, 'company')}`);
    if (!query.includeInactive) conditions.push('activeFlag=true');
    if (query.modifiedSince !== undefined) conditions.push(`_info/lastUpdated>=[${cwDate(query.modifiedSince)}]`);
    const pageSize = Math.min(Math.max(1, query.pageSize ?? MAX_PAGE_SIZE), MAX_PAGE_SIZE);
    const from = query.cursor && /^\d+$/.test(query.cursor) ? Number(query.cursor) : 0;
    const p = await withRight(CW_RIGHTS.inquire, WHERE, () => this.page(conditions.join(' and '), from, pageSize));
    return { items: p.items.map(toPsaConfiguration), nextCursor: p.next === null ? null : String(p.next) };
  }

  async get(id: string): Promise<PsaConfiguration | null> {
    if (!isCwId(id)) return null;
    try {
      return toPsaConfiguration(await withRight(CW_RIGHTS.inquire, WHERE, () => this.api.get(`${PATH}/${id}`, configurationSchema, 'configuration')));
    } catch (err) {
      if (err instanceof PsaNotFoundError) return null;
      throw err;
    }
  }

  private async findBy(field: string, values: readonly string[], companyId: string | undefined, keyOf: (c: PsaConfiguration) => string | null) {
    const wanted = [...new Set(values.filter((v) => v !== ''))];
    const scope = companyId === undefined ? '' : `company/id=${requireNumeric(companyId, 'company')}`;
    const found: PsaConfiguration[] = [];
    for (const conditions of inLists(field, wanted, scope)) {
      const rows = await withRight(CW_RIGHTS.inquire, WHERE, () => this.all(conditions));
      found.push(...rows.map(toPsaConfiguration));
    }
    return groupBy(values, found, keyOf);
  }

  findByDeviceIds(deviceIds: readonly string[], scope: { companyId?: string } = {}): Promise<Map<string, PsaConfiguration[]>> {
    return this.findBy('deviceIdentifier', deviceIds, scope.companyId, (c) => c.deviceId);
  }

  findByMatch(field: MatchField, values: readonly string[], scope: { companyId?: string } = {}): Promise<Map<string, PsaConfiguration[]>> {
    return this.findBy(field === 'serialNumber' ? 'serialNumber' : 'name', values, scope.companyId, (c) => (field === 'serialNumber' ? c.serialNumber : c.name));
  }

  /** Custom field id → its type (Text, Date, Number, Checkbox), read once from a configuration record. */
  private customFieldTypes(): Promise<Map<number, string>> {
    this.customDefs ??= this.api.page(PATH, configurationSchema.pick({ customFields: true }), 'configuration', { pageSize: 1, fields: 'customFields' }).then(
      (p) => new Map((p.items[0]?.customFields ?? []).map((f) => [f.id, f.type ?? 'Text'])),
    );
    this.customDefs.catch(() => (this.customDefs = null));
    return this.customDefs;
  }

  /** `values` → top-level fields and the custom-field entries they set. */
  private async mapped(values: Record<string, string | null>): Promise<{ fields: Record<string, unknown>; custom: Map<number, unknown> }> {
    const fields: Record<string, unknown> = {};
    const custom = new Map<number, unknown>();
    const keys = Object.keys(values);
    const types = keys.some((k) => k.startsWith('custom:')) ? await this.customFieldTypes() : new Map<number, string>();
    for (const key of keys) {
      const v = values[key] ?? null;
      const parsed = parseFieldKey(key);
      if (parsed?.kind === 'field' && STANDARD_NAMES.has(parsed.name)) {
        const spec = STANDARD.find((s) => s.key === key) as ConfigurationFieldSpec;
        fields[parsed.name] = v === null ? null : spec.dataType === 'date' ? cwDate(v) : spec.maxLength ? fitText(v, spec.maxLength) : storableText(v);
      } else if (parsed?.kind === 'custom' && /^\d+$/.test(parsed.name)) {
        const id = Number(parsed.name);
        const type = types.get(id) ?? 'Text';
        custom.set(id, v === null ? null : type === 'Number' ? Number(v) : type === 'Checkbox' ? /^(true|1|yes)$/i.test(v) : type === 'Date' ? cwDate(v) : storableText(v));
      } else {
        throw new PsaValidationError(`ConnectWise configurations have no field ${key}`, { details: [key] });
      }
    }
    return { fields, custom };
  }

  private async body(w: ConfigurationWrite): Promise<Record<string, unknown>> {
    checkDeviceId(w.deviceId);
    const { fields, custom } = await this.mapped(w.values ?? {});
    return {
      ...fields,
      name: fitText(w.name.trim() || w.deviceId, 100),
      type: { id: requireNumeric(w.typeId, 'configuration type') },
      company: { id: requireNumeric(w.companyId, 'company') },
      ...(w.siteId ? { site: { id: requireNumeric(w.siteId, 'site') } } : {}),
      ...(w.contactId ? { contact: { id: requireNumeric(w.contactId, 'contact') } } : {}),
      deviceIdentifier: w.deviceId,
      ...(w.serialNumber ? { serialNumber: fitText(w.serialNumber, 250) } : {}),
      ...(w.link ? { managementLink: fitText(w.link, 1000) } : {}),
      ...(custom.size ? { customFields: [...custom].map(([id, value]) => ({ id, value })) } : {}),
      activeFlag: true,
    };
  }

  async create(items: readonly ConfigurationWrite[]): Promise<WriteOutcome[]> {
    const out: WriteOutcome[] = [];
    let stop: ReturnType<typeof asPsaError> | null = null;
    for (const batch of chunk(items, BULK)) {
      if (stop) {
        out.push(...allFailed(batch.length, stop));
        continue;
      }
      // Items we cannot even describe fail alone; the rest go in one request.
      const bodies = await Promise.all(batch.map((w) => this.body(w).then((b) => ({ ok: true as const, b }), (e: unknown) => ({ ok: false as const, e: asPsaError(e) }))));
      const sendable = bodies.flatMap((x, i) => (x.ok ? [{ i, b: x.b }] : []));
      const answers = new Map<number, WriteOutcome>();
      bodies.forEach((x, i) => {
        if (!x.ok) answers.set(i, { ok: false, error: x.e });
      });
      if (sendable.length) {
        try {
          const results = await this.bulk(sendable.map((s) => s.b), sendable.map((s) => batch[s.i] as ConfigurationWrite));
          results.forEach((r, k) => answers.set((sendable[k] as { i: number }).i, r));
        } catch (err) {
          const e = asPsaError(err);
          if (stopsBatch(e)) stop = e;
          for (const s of sendable) answers.set(s.i, { ok: false, error: e });
        }
      }
      out.push(...batch.map((_, i) => answers.get(i) as WriteOutcome));
    }
    return out;
  }

  /** One bulk POST; reads the ids back by device id when the answer does not carry them per item. */
  private async bulk(bodies: Record<string, unknown>[], writes: ConfigurationWrite[]): Promise<WriteOutcome[]> {
    let res;
    try {
      res = await withRight(CW_RIGHTS.add, WHERE, () => this.api.send({ method: 'POST', path: `${PATH}/bulk`, json: bodies }));
    } catch (err) {
      // A PSA without the bulk form: one POST each.
      if (err instanceof PsaNotFoundError || (err instanceof PsaValidationError && err.status === 405)) return this.oneByOne(bodies);
      throw err;
    }
    const items = Array.isArray(res.body) ? res.body.map((x) => bulkItemSchema.safeParse(x)) : [];
    if (items.length === bodies.length && items.every((x) => x.success)) {
      return items.map((x) => {
        const r = x.data as BulkItem;
        const id = r.entity?.id ?? r.id;
        if ((r.statusCode ?? 201) < 300 && typeof id === 'number') return { ok: true as const, id: String(id) };
        return { ok: false as const, error: this.itemError(r) };
      });
    }
    // The answer does not say which item became which record: ask by device id.
    const found = await this.findByDeviceIds(writes.map((w) => w.deviceId));
    return writes.map((w) => {
      const hit = found.get(w.deviceId)?.[0];
      return hit ? { ok: true as const, id: hit.id } : { ok: false as const, error: new PsaUnavailableError(`ConnectWise did not report configuration ${w.deviceId} as created`) };
    });
  }

  private itemError(r: BulkItem): PsaValidationError {
    const details = (r.errors ?? []).map((e) => (e.field ? `${e.field}: ${e.message ?? e.code ?? ''}` : (e.message ?? e.code ?? ''))).filter(Boolean);
    return new PsaValidationError(`ConnectWise refused the configuration (${r.statusCode ?? 400}): ${r.message ?? details[0] ?? 'invalid'}`, { status: r.statusCode ?? 400, details });
  }

  private oneByOne(bodies: Record<string, unknown>[]): Promise<WriteOutcome[]> {
    return eachItem(bodies, 4, async (b) => {
      const res = await withRight(CW_RIGHTS.add, WHERE, () => this.api.send({ method: 'POST', path: PATH, json: b }));
      return String(parse(configurationSchema, res.body, 'configuration').id);
    });
  }

  async update(items: readonly ConfigurationUpdate[]): Promise<WriteOutcome[]> {
    return eachItem(items, 4, async (u) => {
      const id = requireNumeric(u.id, 'configuration');
      const c = u.changes;
      const ops: { op: 'replace'; path: string; value: unknown }[] = [];
      const set = (path: string, value: unknown) => ops.push({ op: 'replace', path, value });
      if (c.deviceId !== undefined) {
        checkDeviceId(c.deviceId);
        set('deviceIdentifier', c.deviceId);
      }
      if (c.name !== undefined) set('name', fitText(c.name.trim() || u.current?.name || String(id), 100));
      if (c.typeId !== undefined) set('type', { id: requireNumeric(c.typeId, 'configuration type') });
      if (c.companyId !== undefined) {
        set('company', { id: requireNumeric(c.companyId, 'company') });
        // A site of the old company would make the move invalid.
        if (c.siteId === undefined) set('site', null);
      }
      if (c.siteId !== undefined) set('site', c.siteId ? { id: requireNumeric(c.siteId, 'site') } : null);
      if (c.contactId !== undefined) set('contact', c.contactId ? { id: requireNumeric(c.contactId, 'contact') } : null);
      if (c.serialNumber !== undefined) set('serialNumber', c.serialNumber ? fitText(c.serialNumber, 250) : null);
      if (c.link !== undefined) set('managementLink', c.link ? fitText(c.link, 1000) : null);
      if (c.active !== undefined) set('activeFlag', c.active);
      const { fields, custom } = await this.mapped(c.values ?? {});
      for (const [k, v] of Object.entries(fields)) set(k, v);
      if (custom.size) {
        // Custom fields are replaced as a whole array: carry every current value along.
        const current = u.current ?? (await this.get(u.id));
        if (!current) throw new PsaNotFoundError(`ConnectWise configuration ${u.id} does not exist`);
        const merged = new Map<number, unknown>();
        const types = await this.customFieldTypes();
        for (const [key, value] of Object.entries(current.values)) {
          const p = parseFieldKey(key);
          if (p?.kind !== 'custom' || value === null) continue;
          const type = types.get(Number(p.name)) ?? 'Text';
          merged.set(Number(p.name), type === 'Number' ? Number(value) : type === 'Checkbox' ? /^(true|1|yes)$/i.test(value) : value);
        }
        for (const [k, v] of custom) merged.set(k, v);
        set('customFields', [...merged].map(([cid, value]) => ({ id: cid, value })));
      }
      if (ops.length === 0) return u.id;
      const res = await withRight(CW_RIGHTS.edit, WHERE, () => this.api.send({ method: 'PATCH', path: `${PATH}/${id}`, json: ops, idempotent: true }));
      return String(parse(configurationSchema, res.body, 'configuration').id);
    });
  }

  deactivate(ids: readonly string[]): Promise<WriteOutcome[]> {
    return this.update(ids.map((id) => ({ id, changes: { active: false } })));
  }

  async listTypes(): Promise<ConfigurationType[]> {
    const rows = await withRight(CW_RIGHTS.inquire, WHERE, () => this.api.all(`${PATH}/types`, configurationTypeSchema, 'configuration type'));
    return rows.map((t) => ({ id: String(t.id), name: t.name, active: t.inactiveFlag !== true }));
  }

  async createType(name: string): Promise<ConfigurationType> {
    const clean = fitText(name.trim(), 50);
    if (!clean) throw new PsaValidationError('A configuration type needs a name', { details: ['name'] });
    try {
      const res = await withRight(CW_RIGHTS.typeAdd, WHERE, () => this.api.send({ method: 'POST', path: `${PATH}/types`, json: { name: clean } }));
      const t = parse(configurationTypeSchema, res.body, 'configuration type');
      return { id: String(t.id), name: t.name, active: t.inactiveFlag !== true };
    } catch (err) {
      // Made by an earlier attempt whose answer was lost (or by someone else): use it.
      if (err instanceof PsaValidationError && err.details.some((d) => /already|exists/i.test(d))) {
        const existing = (await this.listTypes()).find((t) => t.name.toLowerCase() === clean.toLowerCase());
        if (existing) return existing;
      }
      throw err;
    }
  }

  async fieldCatalog(): Promise<ConfigurationFieldSpec[]> {
    // Every configuration lists every custom field (empty ones as null), so one record tells them all.
    const page = await withRight(CW_RIGHTS.inquire, WHERE, () =>
      this.api.page(PATH, configurationSchema.pick({ customFields: true }), 'configuration', { pageSize: 1, fields: 'customFields' }),
    );
    const custom = (page.items[0]?.customFields ?? []).map((f) => ({
      key: `custom:${f.id}`,
      label: f.caption ?? `Custom field ${f.id}`,
      kind: 'custom' as const,
      dataType: CUSTOM_TYPES[f.type ?? 'Text'] ?? 'text',
      maxLength: null,
    }));
    return [...STANDARD, ...custom];
  }

  async checkRights(): Promise<MissingRight[]> {
    const probes: [string, string, string][] = [
      [PATH, CW_RIGHTS.inquire, 'Add Companies > Configurations (Add, Edit, Inquire) to the API member\'s security role in ConnectWise (System > Security Roles).'],
      ['company/contacts', CW_RIGHTS.contacts, 'Add Companies > Contacts (Add, Inquire) to the API member\'s security role in ConnectWise (System > Security Roles); user matching needs it.'],
    ];
    const missing: MissingRight[] = [];
    for (const [path, right, detail] of probes) {
      try {
        await this.api.page(path, idOnlySchema, 'probe', { pageSize: 1, fields: 'id' });
      } catch (err) {
        if (asPsaError(err).kind !== 'permission') throw err;
        missing.push({ right, detail });
      }
    }
    return missing;
  }
}
