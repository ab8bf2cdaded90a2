/**
 * Pure rules of the device inventory and its sync into PSA configurations: which report wins
 * (the device's own last-update time), what a device becomes in the PSA (name, serial, type,
 * company, link, mapped fields), "only fill empty fields", and what happens to a device whose
 * organization is not mapped. No I/O: the repositories and activities apply these.
 */
import type { ConfigurationWrite, MatchField, PsaConfiguration } from '../psa/core/configurations';
import { loginCandidates } from '../psa/core/contacts';

export { loginCandidates };

export interface DeviceSoftware {
  name: string;
  version?: string | null;
  publisher?: string | null;
  installDate?: string | null;
}

/** A device as the platform reports it. */
export interface DeviceReport {
  deviceId: string;
  nodeClass?: string | null;
  deviceType?: string | null;
  displayName?: string | null;
  systemName?: string | null;
  dnsName?: string | null;
  serialNumber?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  os?: string | null;
  lastLoggedInUser?: string | null;
  lastContact?: string | null;
  warrantyStart?: string | null;
  warrantyEnd?: string | null;
  software?: DeviceSoftware[] | null;
  customFields?: Record<string, string> | null;
  /** The device's own last change (ISO-8601); decides which of two reports wins. */
  updatedAt: string;
}

/** The platform fields a mapping may take from (besides `custom:<name>`, a platform custom field). */
export const DEVICE_SOURCE_FIELDS = [
  'nodeClass',
  'deviceType',
  'displayName',
  'systemName',
  'dnsName',
  'serialNumber',
  'manufacturer',
  'model',
  'os',
  'lastLoggedInUser',
  'lastContact',
  'warrantyStart',
  'warrantyEnd',
  'software',
] as const;
export type DeviceSourceField = (typeof DEVICE_SOURCE_FIELDS)[number];

export interface FieldMapping {
  /** A platform field (`DEVICE_SOURCE_FIELDS`) or `custom:<platform custom field name>`. */
  source: string;
  /** A PSA field key from the connection's field catalogue (`field:…`, `custom:…`, `assetfield:…`). */
  target: string;
  /** Write only where the PSA field is empty (a value someone entered in the PSA is kept). */
  onlyFillEmpty: boolean;
}

export type UnmappedOrganizations = { mode: 'skip' } | { mode: 'default'; companyId: string; siteId?: string | null };

export interface DeviceSyncSettings {
  enabled: boolean;
  /** Which platform field names the PSA type. */
  typeSource: 'nodeClass' | 'deviceType';
  /** Platform type value → PSA type id; values not listed go to the PSA type of the same name. */
  typeMap: Record<string, string>;
  /** For the first import into an inventory that already exists: match on serial or name. */
  matchField: MatchField | null;
  fieldMappings: FieldMapping[];
  unmappedOrganizations: UnmappedOrganizations;
  /** Link to the device's page on the platform: `{deviceId}`, `{organizationId}`, `{partnerId}` are filled in. */
  linkTemplate: string | null;
  /** Assign the configuration to the PSA contact named by the last logged-in user. */
  userMatching: boolean;
  /** Minutes between scheduled incremental passes. */
  scheduleMinutes: number;
  /** Vendor options passed to the adapter (`psa/core/configurations.ts` ConfigurationOptions). */
  deviceIdUdf?: string;
  assetGroupId?: string;
  productBillingCodeId?: string;
}

export const DEFAULT_DEVICE_SYNC_SETTINGS: DeviceSyncSettings = {
  enabled: true,
  typeSource: 'nodeClass',
  typeMap: {},
  matchField: null,
  fieldMappings: [],
  unmappedOrganizations: { mode: 'skip' },
  linkTemplate: null,
  userMatching: false,
  scheduleMinutes: 60,
};

/** Reasons a device is not written, as the portal shows them. */
export const DEVICE_REASONS = {
  unmapped: 'The organization is not mapped to a PSA company and device sync skips unmapped organizations',
  ambiguousMatch: (field: string, value: string, count: number) => `${count} PSA configurations match ${field} "${value}"; none was linked, to avoid a duplicate`,
  noType: (name: string) => `The PSA has no type "${name}" and does not let the API create one; create it in the PSA or map it in the device-sync settings`,
  noTypeValue: (source: string) => `The device reports no ${source}, which names its PSA type`,
  companyImmutable: 'The PSA does not move a configuration to another company; unlink it in the PSA and sync again',
} as const;

/** Whether an incoming report (or delete) at `incoming` replaces what is stored at `stored`: strictly newer only. */
export function isNewer(incoming: string | Date, stored: string | Date | null | undefined): boolean {
  if (stored === null || stored === undefined) return true;
  return new Date(incoming).getTime() > new Date(stored).getTime();
}

/** Each platform field at most once (the rule the field-mapping form enforces); returns the repeated sources. */
export function repeatedSources(mappings: readonly FieldMapping[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const m of mappings) {
    if (seen.has(m.source)) repeated.add(m.source);
    seen.add(m.source);
  }
  return [...repeated];
}

/** Two mappings writing the same PSA field would overwrite each other. */
export function repeatedTargets(mappings: readonly FieldMapping[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const m of mappings) {
    if (seen.has(m.target)) repeated.add(m.target);
    seen.add(m.target);
  }
  return [...repeated];
}

/** The configuration's display name: system name, then DNS name, then display name, then the device id. */
export function deviceName(d: DeviceReport): string {
  for (const v of [d.systemName, d.dnsName, d.displayName]) if (v && v.trim()) return v.trim();
  return d.deviceId;
}

/** The platform value that names the PSA type (node class or device type), or null. */
export function deviceTypeValue(d: DeviceReport, source: DeviceSyncSettings['typeSource']): string | null {
  const v = source === 'nodeClass' ? d.nodeClass : d.deviceType;
  return v && v.trim() ? v.trim() : null;
}

/** The value of a mapping source on a device, as text (dates as given, software as "name version" lines). */
export function sourceValue(d: DeviceReport, source: string): string | null {
  if (source.startsWith('custom:')) {
    const v = d.customFields?.[source.slice('custom:'.length)];
    return v === undefined || v === '' ? null : v;
  }
  if (source === 'software') {
    const list = d.software ?? [];
    return list.length ? list.map((s) => [s.name, s.version].filter(Boolean).join(' ')).join('\n') : null;
  }
  const v = (d as unknown as Record<string, unknown>)[source];
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The link back to the platform: placeholders filled in, each value URL-encoded. */
export function renderLink(template: string | null, vars: { deviceId: string; organizationId: string; partnerId: string }): string | null {
  if (!template) return null;
  return template.replace(/\{(deviceId|organizationId|partnerId)\}/g, (_, k: keyof typeof vars) => encodeURIComponent(vars[k]));
}

export interface SyncTarget {
  companyId: string;
  siteId: string | null;
}

/**
 * Where an organization's devices go on a connection: the mapped company, else the configured
 * default company/site, else nowhere (with the reason).
 */
export function syncTargetOf(mappedCompanyId: string | null, settings: DeviceSyncSettings): SyncTarget | { skip: string } {
  if (mappedCompanyId) return { companyId: mappedCompanyId, siteId: null };
  const u = settings.unmappedOrganizations;
  if (u.mode === 'default') return { companyId: u.companyId, siteId: u.siteId ?? null };
  return { skip: DEVICE_REASONS.unmapped };
}

/** The company id of an organization mapping (`company`, or `customer` where the form names it so). */
export function companyOfMapping(values: Record<string, string> | null | undefined): string | null {
  if (!values) return null;
  return values.company ?? values.customer ?? null;
}

/** Whether a PSA value counts as empty for "only fill empty fields". Absent (unknown) is not empty. */
const emptyIn = (current: PsaConfiguration['values'] | undefined, key: string): boolean | 'unknown' => {
  if (!current || !(key in current)) return 'unknown';
  const v = current[key];
  return v === null || v === undefined || v.trim() === '';
};

/**
 * The mapped values to write for a device. `current` is the PSA record as last seen (undefined
 * for a new configuration, where every field is empty). A field marked "only fill empty" is left
 * out when the PSA holds a value; `unknown` lists those whose emptiness this record cannot tell.
 */
export function mappedValues(
  d: DeviceReport,
  mappings: readonly FieldMapping[],
  current: PsaConfiguration | undefined,
): { values: Record<string, string | null>; unknown: string[] } {
  const values: Record<string, string | null> = {};
  const unknown: string[] = [];
  for (const m of mappings) {
    const v = sourceValue(d, m.source);
    if (m.onlyFillEmpty && current) {
      const empty = emptyIn(current.values, m.target);
      if (empty === 'unknown') {
        unknown.push(m.target);
        continue;
      }
      if (!empty) continue;
      if (v === null) continue; // nothing to fill with
    }
    values[m.target] = v;
  }
  return { values, unknown };
}

/** Everything the sync writes for one device (type and contact resolved by the caller). */
export function configurationWriteOf(
  d: DeviceReport,
  ctx: { target: SyncTarget; typeId: string; link: string | null; contactId: string | null; mappings: readonly FieldMapping[]; current?: PsaConfiguration },
): ConfigurationWrite {
  const { values } = mappedValues(d, ctx.mappings, ctx.current);
  return {
    deviceId: d.deviceId,
    companyId: ctx.target.companyId,
    siteId: ctx.target.siteId,
    typeId: ctx.typeId,
    name: deviceName(d),
    serialNumber: d.serialNumber ?? null,
    link: ctx.link,
    contactId: ctx.contactId,
    values,
  };
}

/**
 * The changes an update sends: only what differs from the PSA record as last seen, so an
 * unchanged device costs no write. Without a record everything is sent.
 */
export function changedFields(write: ConfigurationWrite, current: PsaConfiguration | undefined): Partial<ConfigurationWrite> & { active?: boolean } {
  if (!current) return { ...write, active: true };
  const out: Partial<ConfigurationWrite> & { active?: boolean } = {};
  if (write.companyId !== current.companyId) out.companyId = write.companyId;
  if (write.siteId && write.siteId !== current.siteId) out.siteId = write.siteId;
  if (write.typeId !== current.typeId) out.typeId = write.typeId;
  if (write.name !== current.name) out.name = write.name;
  if ((write.serialNumber ?? null) !== (current.serialNumber ?? null)) out.serialNumber = write.serialNumber ?? null;
  if (write.link !== undefined && (write.link ?? null) !== (current.link ?? null)) out.link = write.link;
  if (write.contactId && write.contactId !== current.contactId) out.contactId = write.contactId;
  if (current.deviceId !== write.deviceId) out.deviceId = write.deviceId;
  const values: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(write.values ?? {})) if ((current.values[k] ?? null) !== v) values[k] = v;
  if (Object.keys(values).length) out.values = values;
  if (!current.active) out.active = true;
  return out;
}

/** The PSA record as our write leaves it (what the next pass compares with). */
export function afterWrite(id: string, write: ConfigurationWrite, before: PsaConfiguration | undefined): PsaConfiguration {
  return {
    id,
    deviceId: write.deviceId,
    companyId: write.companyId,
    siteId: write.siteId ?? before?.siteId ?? null,
    typeId: write.typeId,
    name: write.name,
    serialNumber: write.serialNumber ?? null,
    active: true,
    lastModified: null,
    link: write.link ?? before?.link ?? null,
    contactId: write.contactId ?? before?.contactId ?? null,
    values: { ...(before?.values ?? {}), ...(write.values ?? {}) },
  };
}

/**
 * Links of a first import: for each device, the PSA configuration carrying our device id, else
 * (when a match field is set) the one whose serial / name equals the device's, case-insensitive.
 * A value two configurations share links nothing (reason given): a guess could merge two
 * machines, and a duplicate is worse than a device waiting for someone to look.
 */
export function firstImportLinks(
  devices: readonly { deviceId: string; serialNumber: string | null; name: string }[],
  records: readonly PsaConfiguration[],
  matchField: MatchField | null,
  /** PSA ids already linked to other devices of ours: never linked twice. */
  takenIds: ReadonlySet<string> = new Set(),
): Map<string, { record: PsaConfiguration } | { reason: string }> {
  const ours = new Set(devices.map((d) => d.deviceId.toLowerCase()));
  const byDeviceId = new Map<string, PsaConfiguration[]>();
  const byKey = new Map<string, PsaConfiguration[]>();
  const push = (m: Map<string, PsaConfiguration[]>, k: string, r: PsaConfiguration) => m.set(k, [...(m.get(k) ?? []), r]);
  for (const r of records) {
    if (takenIds.has(r.id)) continue;
    if (r.deviceId) push(byDeviceId, r.deviceId.toLowerCase(), r);
    const key = matchField === 'serialNumber' ? r.serialNumber : matchField === 'name' ? r.name : null;
    // A record carrying one of our device ids belongs to that device, not to a name twin; a
    // foreign value there (an asset tag, another tool's id) does not stop a match.
    if (key && key.trim() && !(r.deviceId && ours.has(r.deviceId.toLowerCase()))) push(byKey, key.trim().toLowerCase(), r);
  }
  const out = new Map<string, { record: PsaConfiguration } | { reason: string }>();
  const taken = new Set<string>(takenIds);
  for (const d of devices) {
    const own = byDeviceId.get(d.deviceId.toLowerCase());
    if (own && own.length) {
      // Several carrying our id: keep the active one (a deactivated twin stays as it is).
      const pick = own.find((r) => r.active) ?? own[0];
      if (pick) {
        out.set(d.deviceId, { record: pick });
        taken.add(pick.id);
      }
    }
  }
  if (!matchField) return out;
  for (const d of devices) {
    if (out.has(d.deviceId)) continue;
    const value = matchField === 'serialNumber' ? d.serialNumber : d.name;
    if (!value || !value.trim()) continue;
    const hits = (byKey.get(value.trim().toLowerCase()) ?? []).filter((r) => !taken.has(r.id));
    const sameValue = devices.filter((x) => (matchField === 'serialNumber' ? x.serialNumber : x.name)?.trim().toLowerCase() === value.trim().toLowerCase());
    if (hits.length === 1 && sameValue.length === 1) {
      out.set(d.deviceId, { record: hits[0] as PsaConfiguration });
      taken.add((hits[0] as PsaConfiguration).id);
    } else if (hits.length > 1 || (hits.length === 1 && sameValue.length > 1)) {
      out.set(d.deviceId, { reason: DEVICE_REASONS.ambiguousMatch(matchField === 'serialNumber' ? 'serial number' : 'name', value, Math.max(hits.length, sameValue.length)) });
    }
  }
  return out;
}
