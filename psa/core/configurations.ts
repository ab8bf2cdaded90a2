/**
 * Devices in the PSA: ConnectWise configurations, Autotask configuration items, HaloPSA assets,
 * behind one contract. The device sync reads them in pages (optionally only those changed since a
 * moment), finds them by our device id or by a match field in bulk, and writes them in the largest
 * batches the vendor accepts. Nothing here ever deletes: a retired device is deactivated.
 *
 * Field-mapped values travel as `values`, keyed by `ConfigurationFieldSpec.key`:
 * `field:<vendor field>` for the PSA's own fields, `custom:<id>` for custom fields / UDFs,
 * `assetfield:<id>` for the fields of a HaloPSA asset type.
 */
import type { PsaError } from './errors';
import type { Page } from './types';

export const MATCH_FIELDS = ['serialNumber', 'name'] as const;
/** What the first import into an existing inventory matches on (after the PSA id and our device id). */
export type MatchField = (typeof MATCH_FIELDS)[number];

/** A configuration as the PSA holds it. */
export interface PsaConfiguration {
  id: string;
  /** Our device id as stored in the PSA (deviceIdentifier / UDF / inventory number); null when absent. */
  deviceId: string | null;
  companyId: string;
  siteId: string | null;
  typeId: string | null;
  name: string;
  serialNumber: string | null;
  active: boolean;
  /** The PSA's last change to the record (ISO-8601, UTC), when it reports one. */
  lastModified: string | null;
  /** The link back to the device's page on the platform. */
  link: string | null;
  contactId: string | null;
  /**
   * Current values of the mappable fields this read returned (see the module comment for keys):
   * null is an empty field, an absent key a field this read did not carry (a HaloPSA list row
   * carries less than `get`), so "only fill empty fields" must not treat absent as empty.
   */
  values: Record<string, string | null>;
}

/** Everything the sync writes for one device. */
export interface ConfigurationWrite {
  deviceId: string;
  companyId: string;
  /** Required where `traits.siteRequired` (HaloPSA: every asset belongs to a site). */
  siteId?: string | null;
  /** Configuration type / Autotask product / HaloPSA asset type. */
  typeId: string;
  name: string;
  serialNumber?: string | null;
  link?: string | null;
  contactId?: string | null;
  values?: Record<string, string | null>;
}

export interface ConfigurationUpdate {
  id: string;
  /**
   * The record as last read. ConnectWise replaces custom fields as a whole array and Autotask
   * refuses a company change, so with it the adapter writes without reading first.
   */
  current?: PsaConfiguration;
  /** Only what changed; `active: true` brings a deactivated configuration back. */
  changes: Partial<ConfigurationWrite> & { active?: boolean };
}

/** The answer for one item of a batch, in the order the items were given. */
export type WriteOutcome = { ok: true; id: string } | { ok: false; error: PsaError };

export interface ConfigurationListQuery {
  companyId?: string;
  /** Only records the PSA changed at or after this instant (ISO-8601). */
  modifiedSince?: string;
  /** Deactivated records too (default false). */
  includeInactive?: boolean;
  cursor?: string | null;
  pageSize?: number;
}

export interface ConfigurationType {
  id: string;
  name: string;
  active: boolean;
}

export interface ConfigurationFieldSpec {
  /** `field:<name>`, `custom:<id>` or `assetfield:<id>`. */
  key: string;
  label: string;
  kind: 'field' | 'custom' | 'assetfield';
  dataType: 'text' | 'date' | 'number' | 'boolean';
  maxLength: number | null;
}

/** What the vendor allows, so callers branch on facts instead of vendor names. */
export interface ConfigurationTraits {
  /** Most items one write request carries (1: the vendor has no batch form). */
  maxBatch: number;
  /** Largest page `list` serves. */
  maxPageSize: number;
  /** False where an update may not move a configuration to another company (Autotask). */
  companyChangeable: boolean;
  /** Whether `createType` works (Autotask creates products; its configuration item types are read-only). */
  typesCreatable: boolean;
  /** Every configuration needs a site (HaloPSA). */
  siteRequired: boolean;
  /** Where our device id is kept, for messages. */
  deviceIdField: string;
}

/** A right the API user lacks, named as the vendor's role screen names it. */
export interface MissingRight {
  right: string;
  detail: string;
}

/** Per-connection settings of the configuration sync. */
export interface ConfigurationOptions {
  /** Autotask: label of the configuration-item UDF that holds our device id. */
  deviceIdUdf?: string;
  /** HaloPSA: asset group of asset types we create. */
  assetGroupId?: string;
  /** Autotask: billing code of products we create (else the first active one). */
  productBillingCodeId?: string;
}

export const DEFAULT_DEVICE_ID_UDF = 'Platform Device ID';

export interface PsaConfigurationItems {
  readonly traits: ConfigurationTraits;
  /** One page, in the PSA's stable order (id); pass `nextCursor` back with the same query. */
  list(query?: ConfigurationListQuery): Promise<Page<PsaConfiguration>>;
  get(id: string): Promise<PsaConfiguration | null>;
  /** Our device id → every configuration carrying it (more than one is a duplicate to report). */
  findByDeviceIds(deviceIds: readonly string[], scope?: { companyId?: string }): Promise<Map<string, PsaConfiguration[]>>;
  /** Match value → configurations whose serial number or name equals it (case-insensitive). */
  findByMatch(field: MatchField, values: readonly string[], scope?: { companyId?: string }): Promise<Map<string, PsaConfiguration[]>>;
  create(items: readonly ConfigurationWrite[]): Promise<WriteOutcome[]>;
  update(items: readonly ConfigurationUpdate[]): Promise<WriteOutcome[]>;
  /** Marks configurations inactive; never deletes. Already inactive is success. */
  deactivate(ids: readonly string[]): Promise<WriteOutcome[]>;
  listTypes(): Promise<ConfigurationType[]>;
  /** Throws PsaValidationError where `traits.typesCreatable` is false. */
  createType(name: string): Promise<ConfigurationType>;
  /** The fields a mapping may target: the PSA's own writable fields, then custom fields. */
  fieldCatalog(): Promise<ConfigurationFieldSpec[]>;
  /** Reads that show which configuration rights are missing (writes are refused with a PsaPermissionError naming the right). */
  checkRights(): Promise<MissingRight[]>;
}

/** Splits `items` into runs of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

/** Groups records under each wanted key (case-insensitive); keys nobody carries map to []. */
export function groupBy(wanted: readonly string[], records: readonly PsaConfiguration[], keyOf: (c: PsaConfiguration) => string | null): Map<string, PsaConfiguration[]> {
  const byLower = new Map<string, PsaConfiguration[]>();
  for (const r of records) {
    const k = keyOf(r);
    if (k === null || k === '') continue;
    const lower = k.toLowerCase();
    const list = byLower.get(lower) ?? [];
    if (!list.some((x) => x.id === r.id)) list.push(r);
    byLower.set(lower, list);
  }
  return new Map(wanted.map((w) => [w, byLower.get(w.toLowerCase()) ?? []]));
}

/** `key` of a mapped value → its kind and vendor name, or null for a key of another shape. */
export function parseFieldKey(key: string): { kind: ConfigurationFieldSpec['kind']; name: string } | null {
  const m = /^(field|custom|assetfield):(.+)$/.exec(key);
  return m ? { kind: m[1] as ConfigurationFieldSpec['kind'], name: m[2] as string } : null;
}

/** A write's text as the vendor can store it: NUL and other C0 controls (but tab and newlines) removed. */
export function storableText(value: string): string {
  return value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/[\ud800-\udfff]/g, (c, i: number, s: string) => {
    // A lone surrogate cannot be encoded as UTF-8; a proper pair stays.
    const code = c.charCodeAt(0);
    const pairedHigh = code <= 0xdbff && /[\udc00-\udfff]/.test(s[i + 1] ?? '');
    const pairedLow = code >= 0xdc00 && /[\ud800-\udbff]/.test(s[i - 1] ?? '');
    return pairedHigh || pairedLow ? c : '\ufffd';
  });
}

/** Cuts `value` to `max` characters without splitting a surrogate pair. */
export function fitText(value: string, max: number): string {
  const clean = storableText(value);
  if (clean.length <= max) return clean;
  let cut = clean.slice(0, max);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return cut;
}
