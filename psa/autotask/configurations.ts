/**
 * Autotask configuration items ("devices"). Our device id lives in a configuration-item UDF the
 * MSP creates (default label "Platform Device ID"), the platform link in the UDF "Platform Device
 * Link" when it exists; the type of a device is its product. Autotask has no bulk create and no
 * delete, fixes a configuration item's company once made, and allows 3 requests in flight per
 * entity and 10,000 an hour, so writes go one per request, three at a time, through the governor.
 * Requests per operation:
 * - list: 1 per page of up to 500 (`lastModifiedTime gte since`);
 * - find by device id: 1 per 500 ids (`in` on the UDF; where Autotask refuses `in` on a UDF, 1 per id);
 * - find by serial / name: 1 per 500 values;
 * - create / update / deactivate: 1 each (+1 once per adapter for the UDF list);
 * - types (products): 1 per 500 to list; 1 query + 1 create (+1 billing-code lookup once) to create.
 */
import { PsaConfigError, PsaNotFoundError, PsaValidationError } from '../core/errors';
import { asPsaError, eachItem, withRight } from '../core/batch';
import {
  chunk,
  DEFAULT_DEVICE_ID_UDF,
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
import { MAX_RECORDS, type AutotaskRest, type Filter } from './rest';
import type { Row } from './schemas';

export const DEFAULT_LINK_UDF = 'Platform Device Link';
export const AT_RIGHTS = {
  configurationItems: 'CRM → Configuration Items (View, Add, Edit)',
  products: 'Admin → Products, Services & Inventory',
  contacts: 'CRM → Company & Contact Access',
} as const;
const WHERE = "the API user's security level (Admin → Resources/Users → Security Levels)";
const ENTITY = 'ConfigurationItems';
/** Autotask's thread limit per entity. */
const IN_FLIGHT = 3;

/** The configuration item's own fields a mapping may write (rmm* only where the metadata says writable). */
const MAPPABLE: Record<string, { label: string; dataType: ConfigurationFieldSpec['dataType']; max: number | null }> = {
  referenceNumber: { label: 'Reference Number', dataType: 'text', max: 50 },
  installDate: { label: 'Install Date', dataType: 'date', max: null },
  warrantyExpirationDate: { label: 'Warranty Expiration Date', dataType: 'date', max: null },
  notes: { label: 'Notes', dataType: 'text', max: 4000 },
  location: { label: 'Location', dataType: 'text', max: 100 },
  rmmDeviceAuditHostname: { label: 'RMM Hostname', dataType: 'text', max: 255 },
  rmmDeviceAuditOperatingSystem: { label: 'RMM Operating System', dataType: 'text', max: 255 },
  rmmDeviceAuditLastUser: { label: 'RMM Last User', dataType: 'text', max: 255 },
};

const text = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));
const atDate = (v: string): string => {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new PsaValidationError(`"${v}" is not a date`, { details: ['date'] });
  return new Date(t).toISOString();
};
const numericId = (v: string | null | undefined, what: string): number => {
  if (!/^\d{1,12}$/.test(v ?? '')) throw new PsaValidationError(`The Autotask ${what} "${v ?? ''}" is not an Autotask id`, { details: [what] });
  return Number(v);
};

interface UdfSlot {
  name: string;
  value: string | null;
}

export class AutotaskConfigurations implements PsaConfigurationItems {
  readonly traits;
  private readonly deviceUdf: string;
  private udfNames: Promise<string[]> | null = null;
  private writableRmm: Promise<Set<string>> | null = null;
  private billingCode: Promise<number> | null = null;
  /** Autotask may refuse `in` on a UDF; then device ids are looked up one `eq` at a time. */
  private udfInRefused = false;

  constructor(
    private readonly rest: AutotaskRest,
    private readonly options: ConfigurationOptions = {},
  ) {
    this.deviceUdf = options.deviceIdUdf ?? DEFAULT_DEVICE_ID_UDF;
    this.traits = { maxBatch: 1, maxPageSize: MAX_RECORDS, companyChangeable: false, typesCreatable: true, siteRequired: false, deviceIdField: `UDF "${this.deviceUdf}"` };
  }

  private udfs(): Promise<string[]> {
    this.udfNames ??= withRight(AT_RIGHTS.configurationItems, WHERE, () => this.rest.fields(ENTITY, 'userDefinedFields')).then((f) => f.map((x) => x.name));
    this.udfNames.catch(() => (this.udfNames = null));
    return this.udfNames;
  }

  private rmmWritable(): Promise<Set<string>> {
    this.writableRmm ??= this.rest.fields(ENTITY).then((f) => new Set(f.filter((x) => x.name.startsWith('rmm') && x.isReadOnly !== true).map((x) => x.name)));
    this.writableRmm.catch(() => (this.writableRmm = null));
    return this.writableRmm;
  }

  /** The UDF labels as Autotask spells them; our device-id UDF must exist. */
  private async requireDeviceUdf(): Promise<string[]> {
    const names = await this.udfs();
    if (!names.some((n) => n.toLowerCase() === this.deviceUdf.toLowerCase())) {
      throw new PsaConfigError(
        `Autotask has no configuration-item UDF "${this.deviceUdf}": create it (Admin → Extensions & Integrations → Other Extensions & Tools → User-Defined Fields, Configuration Items) so devices can be found again`,
      );
    }
    return names;
  }

  private toPsa(row: Row): PsaConfiguration {
    const r = row as Record<string, unknown>;
    const udfs = Array.isArray(r.userDefinedFields) ? (r.userDefinedFields as UdfSlot[]) : [];
    const udf = (label: string) => text(udfs.find((u) => String(u?.name).toLowerCase() === label.toLowerCase())?.value);
    const values: Record<string, string | null> = {};
    for (const name of Object.keys(MAPPABLE)) values[`field:${name}`] = text(r[name]);
    const linkUdf = DEFAULT_LINK_UDF.toLowerCase();
    for (const u of udfs) {
      const lower = String(u?.name).toLowerCase();
      if (lower !== this.deviceUdf.toLowerCase() && lower !== linkUdf) values[`custom:${u.name}`] = text(u.value);
    }
    return {
      id: String(row.id),
      deviceId: udf(this.deviceUdf),
      companyId: String(r.companyID),
      siteId: text(r.companyLocationID),
      typeId: text(r.productID),
      name: text(r.referenceTitle) ?? '',
      serialNumber: text(r.serialNumber),
      active: r.isActive !== false,
      lastModified: text(r.lastModifiedTime),
      link: udf(DEFAULT_LINK_UDF),
      contactId: text(r.contactID),
      values,
    };
  }

  async list(query: ConfigurationListQuery = {}): Promise<Page<PsaConfiguration>> {
    const filter: Filter[] = [];
    if (query.companyId !== undefined) filter.push({ op: 'eq', field: 'companyID', value: numericId(query.companyId, 'company') });
    if (!query.includeInactive) filter.push({ op: 'eq', field: 'isActive', value: true });
    if (query.modifiedSince !== undefined) filter.push({ op: 'gte', field: 'lastModifiedTime', value: atDate(query.modifiedSince) });
    const page = await withRight(AT_RIGHTS.configurationItems, WHERE, () => this.rest.query(ENTITY, filter, query.pageSize ?? MAX_RECORDS, query.cursor ?? null));
    return { items: page.items.map((r) => this.toPsa(r)), nextCursor: page.next };
  }

  async get(id: string): Promise<PsaConfiguration | null> {
    if (!/^\d{1,12}$/.test(id)) return null;
    try {
      return this.toPsa(await withRight(AT_RIGHTS.configurationItems, WHERE, () => this.rest.item(ENTITY, id)));
    } catch (err) {
      if (err instanceof PsaNotFoundError) return null;
      throw err;
    }
  }

  private scope(companyId: string | undefined): Filter[] {
    return companyId === undefined ? [] : [{ op: 'eq', field: 'companyID', value: numericId(companyId, 'company') }];
  }

  async findByDeviceIds(deviceIds: readonly string[], scope: { companyId?: string } = {}): Promise<Map<string, PsaConfiguration[]>> {
    await this.requireDeviceUdf();
    const wanted = [...new Set(deviceIds.filter((d) => d !== ''))];
    const rows: Row[] = [];
    const byEq = async (ids: string[]) => {
      for (const id of ids) rows.push(...(await this.rest.all(ENTITY, [{ op: 'eq', field: this.deviceUdf, udf: true, value: id }, ...this.scope(scope.companyId)])));
    };
    await withRight(AT_RIGHTS.configurationItems, WHERE, async () => {
      for (const ids of chunk(wanted, MAX_RECORDS)) {
        if (this.udfInRefused || ids.length === 1) {
          await byEq(ids);
          continue;
        }
        try {
          rows.push(...(await this.rest.all(ENTITY, [{ op: 'in', field: this.deviceUdf, udf: true, value: ids }, ...this.scope(scope.companyId)])));
        } catch (err) {
          if (!(err instanceof PsaValidationError)) throw err;
          this.udfInRefused = true;
          await byEq(ids);
        }
      }
    });
    return groupBy(deviceIds, rows.map((r) => this.toPsa(r)), (c) => c.deviceId);
  }

  async findByMatch(field: MatchField, values: readonly string[], scope: { companyId?: string } = {}): Promise<Map<string, PsaConfiguration[]>> {
    const column = field === 'serialNumber' ? 'serialNumber' : 'referenceTitle';
    const wanted = [...new Set(values.filter((v) => v !== ''))];
    const rows: Row[] = [];
    await withRight(AT_RIGHTS.configurationItems, WHERE, async () => {
      for (const list of chunk(wanted, MAX_RECORDS)) rows.push(...(await this.rest.all(ENTITY, [{ op: 'in', field: column, value: list }, ...this.scope(scope.companyId)])));
    });
    return groupBy(values, rows.map((r) => this.toPsa(r)), (c) => (field === 'serialNumber' ? c.serialNumber : c.name));
  }

  /** Mapped values → top-level fields and UDF slots. */
  private async mapped(values: Record<string, string | null>, udfNames: string[]): Promise<{ fields: Record<string, unknown>; udfs: UdfSlot[] }> {
    const fields: Record<string, unknown> = {};
    const udfs: UdfSlot[] = [];
    const keys = Object.keys(values);
    const rmm = keys.some((k) => k.startsWith('field:rmm')) ? await this.rmmWritable() : new Set<string>();
    for (const key of keys) {
      const v = values[key] ?? null;
      const p = parseFieldKey(key);
      const spec = p?.kind === 'field' ? MAPPABLE[p.name] : undefined;
      if (p?.kind === 'field' && spec && (!p.name.startsWith('rmm') || rmm.has(p.name))) {
        fields[p.name] = v === null ? null : spec.dataType === 'date' ? atDate(v) : spec.max ? fitText(v, spec.max) : storableText(v);
      } else if (p?.kind === 'custom' && udfNames.some((n) => n.toLowerCase() === p.name.toLowerCase())) {
        udfs.push({ name: p.name, value: v === null ? null : storableText(v) });
      } else {
        throw new PsaValidationError(`Autotask configuration items have no writable field ${key}`, { details: [key] });
      }
    }
    return { fields, udfs };
  }

  private hasLinkUdf(udfNames: string[]): boolean {
    return udfNames.some((n) => n.toLowerCase() === DEFAULT_LINK_UDF.toLowerCase());
  }

  private checkDeviceId(deviceId: string): void {
    if (deviceId.trim() === '' || deviceId.length > 100 || storableText(deviceId) !== deviceId) {
      throw new PsaValidationError('The device id does not fit the Autotask UDF (1 to 100 characters, no control characters)', { details: [this.deviceUdf] });
    }
  }

  async create(items: readonly ConfigurationWrite[]): Promise<WriteOutcome[]> {
    let udfNames: string[];
    try {
      udfNames = await this.requireDeviceUdf();
    } catch (err) {
      const e = asPsaError(err);
      return items.map(() => ({ ok: false, error: e }));
    }
    return eachItem(items, IN_FLIGHT, async (w) => {
      this.checkDeviceId(w.deviceId);
      const { fields, udfs } = await this.mapped(w.values ?? {}, udfNames);
      const body = {
        ...fields,
        companyID: numericId(w.companyId, 'company'),
        productID: numericId(w.typeId, 'product'),
        isActive: true,
        referenceTitle: fitText(w.name.trim() || w.deviceId, 200),
        ...(w.serialNumber ? { serialNumber: fitText(w.serialNumber, 100) } : {}),
        ...(w.siteId ? { companyLocationID: numericId(w.siteId, 'company location') } : {}),
        ...(w.contactId ? { contactID: numericId(w.contactId, 'contact') } : {}),
        userDefinedFields: [
          { name: this.deviceUdf, value: w.deviceId },
          ...(w.link && this.hasLinkUdf(udfNames) ? [{ name: DEFAULT_LINK_UDF, value: fitText(w.link, 1000) }] : []),
          ...udfs,
        ],
      };
      return String(await withRight(AT_RIGHTS.configurationItems, WHERE, () => this.rest.create(ENTITY, body)));
    });
  }

  async update(items: readonly ConfigurationUpdate[]): Promise<WriteOutcome[]> {
    const needsUdfs = items.some((u) => u.changes.deviceId !== undefined || u.changes.link !== undefined || Object.keys(u.changes.values ?? {}).some((k) => k.startsWith('custom:')));
    let udfNames: string[] = [];
    if (needsUdfs) {
      try {
        udfNames = await this.requireDeviceUdf();
      } catch (err) {
        const e = asPsaError(err);
        return items.map(() => ({ ok: false, error: e }));
      }
    }
    return eachItem(items, IN_FLIGHT, async (u) => {
      const id = numericId(u.id, 'configuration item');
      const c = u.changes;
      if (c.companyId !== undefined && u.current && u.current.companyId !== c.companyId) {
        throw new PsaValidationError('Autotask does not move a configuration item to another company: deactivate it and create one at the new company', {
          details: ['companyID cannot be changed'],
        });
      }
      const { fields, udfs } = await this.mapped(c.values ?? {}, udfNames);
      if (c.deviceId !== undefined) {
        this.checkDeviceId(c.deviceId);
        udfs.push({ name: this.deviceUdf, value: c.deviceId });
      }
      if (c.link !== undefined && this.hasLinkUdf(udfNames)) udfs.push({ name: DEFAULT_LINK_UDF, value: c.link ? fitText(c.link, 1000) : null });
      const body: Record<string, unknown> = { ...fields, id };
      if (c.companyId !== undefined) body.companyID = numericId(c.companyId, 'company');
      if (c.typeId !== undefined) body.productID = numericId(c.typeId, 'product');
      if (c.name !== undefined) body.referenceTitle = fitText(c.name.trim() || u.current?.name || String(id), 200);
      if (c.serialNumber !== undefined) body.serialNumber = c.serialNumber ? fitText(c.serialNumber, 100) : null;
      if (c.siteId !== undefined) body.companyLocationID = c.siteId ? numericId(c.siteId, 'company location') : null;
      if (c.contactId !== undefined) body.contactID = c.contactId ? numericId(c.contactId, 'contact') : null;
      if (c.active !== undefined) body.isActive = c.active;
      if (udfs.length) body.userDefinedFields = udfs;
      if (Object.keys(body).length === 1) return u.id;
      return String(await withRight(AT_RIGHTS.configurationItems, WHERE, () => this.rest.patch(ENTITY, body)));
    });
  }

  deactivate(ids: readonly string[]): Promise<WriteOutcome[]> {
    return this.update(ids.map((id) => ({ id, changes: { active: false } })));
  }

  async listTypes(): Promise<ConfigurationType[]> {
    const rows = await withRight(AT_RIGHTS.products, WHERE, () => this.rest.all('Products', []));
    return rows.map((r) => ({ id: String(r.id), name: String((r as Record<string, unknown>).name ?? ''), active: (r as Record<string, unknown>).isActive !== false }));
  }

  /** The product's billing code: the configured one, else the first active one. */
  private productBillingCode(): Promise<number> {
    if (this.options.productBillingCodeId) return Promise.resolve(numericId(this.options.productBillingCodeId, 'billing code'));
    this.billingCode ??= this.rest.query('BillingCodes', [{ op: 'eq', field: 'isActive', value: true }], 1).then((p) => {
      const first = p.items[0];
      if (!first) throw new PsaConfigError('Autotask has no active billing code for new products; set one in the device-sync settings');
      return first.id;
    });
    this.billingCode.catch(() => (this.billingCode = null));
    return this.billingCode;
  }

  async createType(name: string): Promise<ConfigurationType> {
    const clean = fitText(name.trim(), 100);
    if (!clean) throw new PsaValidationError('A product needs a name', { details: ['name'] });
    return withRight(AT_RIGHTS.products, WHERE, async () => {
      const existing = async () => {
        const rows = await this.rest.all('Products', [{ op: 'eq', field: 'name', value: clean }]);
        const hit = rows.find((r) => String((r as Record<string, unknown>).name).toLowerCase() === clean.toLowerCase());
        return hit ? { id: String(hit.id), name: String((hit as Record<string, unknown>).name), active: (hit as Record<string, unknown>).isActive !== false } : null;
      };
      const found = await existing();
      if (found) return found;
      try {
        const id = await this.rest.create('Products', { name: clean, isActive: true, isSerialized: true, productBillingCodeID: await this.productBillingCode() });
        return { id: String(id), name: clean, active: true };
      } catch (err) {
        // Made meanwhile (an earlier attempt whose answer was lost): use it.
        if (err instanceof PsaValidationError) {
          const again = await existing();
          if (again) return again;
        }
        throw err;
      }
    });
  }

  async fieldCatalog(): Promise<ConfigurationFieldSpec[]> {
    const [fields, udfs] = await withRight(AT_RIGHTS.configurationItems, WHERE, () => Promise.all([this.rest.fields(ENTITY), this.rest.fields(ENTITY, 'userDefinedFields')]));
    const writable = new Set(fields.filter((f) => f.isReadOnly !== true).map((f) => f.name));
    const standard = Object.entries(MAPPABLE)
      .filter(([name]) => writable.has(name))
      .map(([name, s]) => ({ key: `field:${name}`, label: s.label, kind: 'field' as const, dataType: s.dataType, maxLength: s.max }));
    const reserved = [this.deviceUdf.toLowerCase(), DEFAULT_LINK_UDF.toLowerCase()];
    const custom = udfs
      .filter((u) => !reserved.includes(u.name.toLowerCase()))
      .map((u) => {
        const dt = String(u.dataType ?? 'string');
        return {
          key: `custom:${u.name}`,
          label: u.name,
          kind: 'custom' as const,
          dataType: (dt === 'datetime' ? 'date' : dt === 'integer' || dt === 'double' ? 'number' : 'text') as ConfigurationFieldSpec['dataType'],
          maxLength: typeof u.length === 'number' && u.length > 0 ? u.length : null,
        };
      });
    return [...standard, ...custom];
  }

  async checkRights(): Promise<MissingRight[]> {
    const probes: [string, string, string][] = [
      [ENTITY, AT_RIGHTS.configurationItems, `The API user's security level needs ${AT_RIGHTS.configurationItems}.`],
      ['Products', AT_RIGHTS.products, `The API user's security level needs ${AT_RIGHTS.products} to read and create products (device types).`],
      ['Contacts', AT_RIGHTS.contacts, `The API user's security level needs ${AT_RIGHTS.contacts} for user matching.`],
    ];
    const missing: MissingRight[] = [];
    for (const [entity, right, detail] of probes) {
      try {
        await this.rest.query(entity, [], 1);
      } catch (err) {
        if (asPsaError(err).kind !== 'permission') throw err;
        missing.push({ right, detail });
      }
    }
    return missing;
  }
}
