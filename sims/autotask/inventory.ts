/**
 * Autotask entities for device sync and organization import:
 * - ConfigurationItems: create (`companyID`, `productID`, `isActive` required), PATCH with the id in
 *   the body, no delete (405: deactivate with `isActive: false`), `companyID` fixed once created,
 *   `lastModifiedTime` stamped on every write and queryable, UDFs as `userDefinedFields: [{name,
 *   value}]` (unknown labels refused, PATCH merges by label), the `rmm*` audit fields read-only
 *   to an integration (written values are ignored; the field metadata says `isReadOnly`);
 * - ConfigurationItemTypes and ConfigurationItemCategories: read-only lists;
 * - Products: create needs `name`, `isActive`, `isSerialized`, `productBillingCodeID`; BillingCodes;
 * - Companies: create needs `companyName` (≤100), `companyType`, `ownerResourceID`, `phone`, and gets a
 *   primary location; CompanyLocations and Contacts are queryable.
 * Writes are refused (403) when the API user's security level allows reading only.
 */
import type { SimRequest, SimResponse } from '../common/server';
import type { AutotaskRight, AutotaskSimState } from './state';
import type { Company, ConfigurationItem, UdfDefinition } from './seed';

export type Guard = (right: AutotaskRight | null, handler: (req: SimRequest) => SimResponse | Promise<SimResponse>) => (req: SimRequest) => Promise<SimResponse>;

const errors = (status: number, ...messages: string[]): SimResponse => ({ status, body: { errors: messages } });
const rowsOf = <T extends object>(rows: T[]) => rows as unknown as Record<string, unknown>[];
/** Autotask times: UTC with milliseconds. */
const now = () => new Date().toISOString();
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

const CI_TEXT: Record<string, number> = {
  referenceTitle: 200,
  referenceNumber: 50,
  serialNumber: 100,
  notes: 4000,
  location: 100,
};
const CI_DATES = ['installDate', 'warrantyExpirationDate'];
const CI_REFS = ['companyLocationID', 'contactID', 'configurationItemType', 'configurationItemCategoryID'];
/** Written by the RMM integration only; an API user's values are ignored. */
const CI_READ_ONLY = ['rmmDeviceUID', 'rmmDeviceAuditHostname', 'rmmDeviceAuditOperatingSystem', 'rmmDeviceAuditLastUser'];

export const CI_FIELDS = [
  'id', 'companyID', 'productID', 'isActive', ...Object.keys(CI_TEXT), ...CI_DATES, ...CI_REFS, ...CI_READ_ONLY, 'createDate', 'lastModifiedTime',
];

/** Field metadata as `entityInformation/fields` describes it. */
type FieldInfo = (name: string, dataType: string, extra?: Record<string, unknown>) => Record<string, unknown>;

export function configurationItemFieldInfo(fieldInfo: FieldInfo): Record<string, unknown>[] {
  return CI_FIELDS.map((name) => {
    if (name === 'id') return fieldInfo(name, 'long', { isReadOnly: true });
    if (['companyID', 'productID'].includes(name)) return fieldInfo(name, 'integer', { isRequired: true, isReference: true, referenceEntityType: name === 'companyID' ? 'Company' : 'Product' });
    if (name === 'isActive') return fieldInfo(name, 'boolean', { isRequired: true });
    if (name in CI_TEXT) return fieldInfo(name, 'string', { length: CI_TEXT[name] });
    if (CI_DATES.includes(name) || name === 'createDate' || name === 'lastModifiedTime') return fieldInfo(name, 'datetime', { isReadOnly: name === 'createDate' || name === 'lastModifiedTime' });
    if (CI_READ_ONLY.includes(name)) return fieldInfo(name, 'string', { length: 255, isReadOnly: true });
    return fieldInfo(name, 'integer', { isReference: true });
  });
}

export const COMPANY_TYPES = [
  { value: '1', label: 'Customer' },
  { value: '2', label: 'Lead' },
  { value: '3', label: 'Prospect' },
  { value: '4', label: 'Dead' },
  { value: '6', label: 'Cancellation' },
  { value: '7', label: 'Vendor' },
  { value: '8', label: 'Partner' },
];

export function companyFieldInfo(fieldInfo: FieldInfo): Record<string, unknown>[] {
  return [
    fieldInfo('id', 'long', { isReadOnly: true }),
    fieldInfo('companyName', 'string', { isRequired: true, length: 100 }),
    fieldInfo('companyType', 'integer', {
      isRequired: true,
      isPickList: true,
      picklistValues: COMPANY_TYPES.map((t, i) => ({ ...t, isDefaultValue: false, sortOrder: i, parentValue: '', isActive: true, isSystem: true })),
    }),
    fieldInfo('ownerResourceID', 'integer', { isRequired: true, isReference: true, referenceEntityType: 'Resource' }),
    fieldInfo('phone', 'string', { isRequired: true, length: 25 }),
    fieldInfo('isActive', 'boolean'),
    fieldInfo('lastTrackedModifiedDateTime', 'datetime', { isReadOnly: true }),
  ];
}

export interface InventoryEntity {
  right: AutotaskRight;
  fields: readonly string[];
  rows(state: AutotaskSimState): Record<string, unknown>[];
  udfs?(state: AutotaskSimState): UdfDefinition[];
}

export const INVENTORY_ENTITIES: Record<string, InventoryEntity> = {
  configurationitems: {
    right: 'configurationItems',
    fields: CI_FIELDS,
    rows: (s) => rowsOf(s.seed.configurationItems),
    udfs: (s) => s.seed.configurationItemUdfs,
  },
  configurationitemtypes: { right: 'configurationItems', fields: ['id', 'name', 'isActive'], rows: (s) => rowsOf(s.seed.configurationItemTypes) },
  configurationitemcategories: { right: 'configurationItems', fields: ['id', 'name', 'isActive', 'isDefault'], rows: (s) => rowsOf(s.seed.configurationItemCategories) },
  products: { right: 'services', fields: ['id', 'name', 'description', 'isActive', 'isSerialized', 'productBillingCodeID'], rows: (s) => rowsOf(s.seed.products) },
  billingcodes: { right: 'services', fields: ['id', 'name', 'isActive', 'useType'], rows: (s) => rowsOf(s.seed.billingCodes) },
  contacts: { right: 'companies', fields: ['id', 'companyID', 'firstName', 'lastName', 'emailAddress', 'isActive'], rows: (s) => rowsOf(s.seed.contacts) },
  companylocations: { right: 'companies', fields: ['id', 'companyID', 'name', 'isPrimary', 'isActive'], rows: (s) => rowsOf(s.seed.companyLocations) },
};

type Input = Record<string, unknown>;

/** The body's fields by lower-case name (Autotask reads JSON property names case-insensitively). */
const lowerKeys = (raw: unknown): Input => Object.fromEntries(Object.entries(raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}).map(([k, v]) => [k.toLowerCase(), v]));

function applyCi(state: AutotaskSimState, ci: ConfigurationItem, raw: Input, creating: boolean): string[] {
  const b = lowerKeys(raw);
  const problems: string[] = [];
  const has = (k: string) => Object.hasOwn(b, k.toLowerCase());
  const get = (k: string) => b[k.toLowerCase()];
  if (creating) {
    for (const k of ['companyID', 'productID', 'isActive']) if (get(k) === undefined || get(k) === null) problems.push(`Missing Required Field: ${k}`);
  }
  if (has('companyID') && get('companyID') !== null) {
    const id = Number(get('companyID'));
    if (!creating && id !== ci.companyID) problems.push('companyID cannot be changed once the configuration item exists.');
    else if (!state.seed.companies.some((c) => c.id === id)) problems.push('Reference value on field: companyID of type: Company does not exist or is invisible.');
    else ci.companyID = id;
  }
  if (has('productID') && get('productID') !== null) {
    const p = state.seed.products.find((x) => x.id === Number(get('productID')));
    if (!p) problems.push('Reference value on field: productID of type: Product does not exist or is invisible.');
    else if (!p.isActive) problems.push(`Product ${p.id} is inactive.`);
    else ci.productID = p.id;
  }
  if (has('isActive') && get('isActive') !== null) {
    if (typeof get('isActive') !== 'boolean') problems.push('isActive must be true or false.');
    else ci.isActive = get('isActive') as boolean;
  }
  for (const [k, max] of Object.entries(CI_TEXT)) {
    if (!has(k)) continue;
    const v = get(k);
    if (v === null) (ci as unknown as Input)[k] = null;
    else if (typeof v !== 'string') problems.push(`${k} must be a string.`);
    else if (CONTROL.test(v)) problems.push(`${k} contains characters that are not allowed.`);
    else if (v.length > max) problems.push(`${k} exceeds the maximum length of ${max}.`);
    else (ci as unknown as Input)[k] = v;
  }
  for (const k of CI_DATES) {
    if (!has(k)) continue;
    const v = get(k);
    if (v !== null && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) problems.push(`${k} is not a valid date.`);
    else (ci as unknown as Input)[k] = v === null ? null : new Date(v as string).toISOString();
  }
  const refCheck = (k: string, ok: (id: number) => boolean, label: string) => {
    if (!has(k)) return;
    const v = get(k);
    if (v === null) (ci as unknown as Input)[k] = k === 'configurationItemCategoryID' ? ci.configurationItemCategoryID : null;
    else if (!ok(Number(v))) problems.push(`Reference value on field: ${k} of type: ${label} does not exist or is invisible.`);
    else (ci as unknown as Input)[k] = Number(v);
  };
  refCheck('companyLocationID', (id) => state.seed.companyLocations.some((l) => l.id === id && l.companyID === ci.companyID), 'CompanyLocation');
  refCheck('contactID', (id) => state.seed.contacts.some((c) => c.id === id && c.companyID === ci.companyID), 'Contact');
  refCheck('configurationItemType', (id) => state.seed.configurationItemTypes.some((t) => t.id === id && t.isActive), 'ConfigurationItemType');
  refCheck('configurationItemCategoryID', (id) => state.seed.configurationItemCategories.some((t) => t.id === id && t.isActive), 'ConfigurationItemCategory');
  // A location or contact of another company is refused even when only the company was given.
  if (ci.companyLocationID !== null && !state.seed.companyLocations.some((l) => l.id === ci.companyLocationID && l.companyID === ci.companyID)) problems.push('companyLocationID does not belong to the company.');
  if (ci.contactID !== null && !state.seed.contacts.some((c) => c.id === ci.contactID && c.companyID === ci.companyID)) problems.push('contactID does not belong to the company.');
  const udfs = get('userDefinedFields');
  if (udfs !== undefined && udfs !== null) {
    if (!Array.isArray(udfs)) problems.push('userDefinedFields must be an array of {name, value}.');
    else {
      for (const u of udfs as { name?: unknown; value?: unknown }[]) {
        const def = state.seed.configurationItemUdfs.find((d) => d.name.toLowerCase() === String(u?.name ?? '').toLowerCase());
        if (!def) {
          problems.push(`User-defined field ${String(u?.name)} does not exist.`);
          continue;
        }
        const value = u.value === null || u.value === undefined ? null : String(u.value);
        if (value !== null && CONTROL.test(value)) problems.push(`${def.name} contains characters that are not allowed.`);
        else if (value !== null && def.length > 0 && value.length > def.length) problems.push(`${def.name} exceeds the maximum length of ${def.length}.`);
        else {
          // Listed UDFs are set; the others keep their values.
          const slot = ci.userDefinedFields.find((x) => x.name.toLowerCase() === def.name.toLowerCase());
          if (slot) slot.value = value;
          else ci.userDefinedFields.push({ name: def.name, value });
        }
      }
    }
  }
  return problems;
}

function blankCi(state: AutotaskSimState, id: number): ConfigurationItem {
  const category = state.seed.configurationItemCategories.find((c) => c.isDefault) ?? state.seed.configurationItemCategories[0];
  const t = now();
  return {
    id, companyID: 0, productID: 0, isActive: true, referenceTitle: null, referenceNumber: null, serialNumber: null, configurationItemType: null,
    configurationItemCategoryID: category?.id ?? 1, companyLocationID: null, contactID: null, installDate: null, warrantyExpirationDate: null, notes: null,
    location: null, rmmDeviceUID: null, rmmDeviceAuditHostname: null, rmmDeviceAuditOperatingSystem: null, rmmDeviceAuditLastUser: null, createDate: t,
    lastModifiedTime: t, userDefinedFields: state.seed.configurationItemUdfs.map((d) => ({ name: d.name, value: null })),
  };
}

export function registerInventoryRoutes(server: { route(method: string, pattern: string, handler: (req: SimRequest) => SimResponse | Promise<SimResponse>): unknown }, base: string, state: AutotaskSimState, guarded: Guard): void {
  /** Reads pass with the entity's right; writes also need it not to be read-only. */
  const writing = (right: AutotaskRight, handler: (req: SimRequest) => SimResponse | Promise<SimResponse>) =>
    guarded(right, (req) => (state.readOnly.has(right) ? errors(403, `The security level of this API user does not permit adding or editing ${right}.`) : handler(req)));

  server.route('POST', `${base}/ConfigurationItems`, writing('configurationItems', (req) => {
    const ci = blankCi(state, 0);
    const problems = applyCi(state, ci, req.json as Input, true);
    if (problems.length) return errors(500, ...problems);
    ci.id = state.id();
    state.seed.configurationItems.push(ci);
    return { status: 200, body: { itemId: ci.id } };
  }));
  const update = writing('configurationItems', (req) => {
    const raw = lowerKeys(req.json);
    const ci = state.seed.configurationItems.find((x) => x.id === Number(raw.id));
    if (!ci) return errors(404, `No ConfigurationItems with id ${String(raw.id)}.`);
    const draft = structuredClone(ci);
    const problems = applyCi(state, draft, req.json as Input, false);
    if (problems.length) return errors(500, ...problems);
    Object.assign(ci, draft, { lastModifiedTime: now() });
    return { status: 200, body: { itemId: ci.id } };
  });
  server.route('PATCH', `${base}/ConfigurationItems`, update);
  server.route('DELETE', `${base}/ConfigurationItems/:id`, guarded('configurationItems', () =>
    errors(405, 'ConfigurationItems cannot be deleted. Deactivate the configuration item (isActive = false) instead.'),
  ));
  server.route('POST', `${base}/ConfigurationItemTypes`, guarded('configurationItems', () => errors(405, 'ConfigurationItemTypes can only be queried.')));

  server.route('POST', `${base}/Products`, writing('services', (req) => {
    const b = lowerKeys(req.json);
    const problems: string[] = [];
    for (const k of ['name', 'isActive', 'isSerialized', 'productBillingCodeID']) if (b[k.toLowerCase()] === undefined || b[k.toLowerCase()] === null) problems.push(`Missing Required Field: ${k}`);
    const name = typeof b.name === 'string' ? b.name.trim() : '';
    if (b.name !== undefined && !name) problems.push('name cannot be empty.');
    if (name.length > 100) problems.push('name exceeds the maximum length of 100.');
    if (CONTROL.test(name)) problems.push('name contains characters that are not allowed.');
    const code = state.seed.billingCodes.find((c) => c.id === Number(b.productbillingcodeid));
    if (b.productbillingcodeid != null && (!code || !code.isActive)) problems.push('Reference value on field: productBillingCodeID of type: BillingCode does not exist or is inactive.');
    if (name && state.seed.products.some((p) => p.name.toLowerCase() === name.toLowerCase())) problems.push(`A product named ${name} already exists.`);
    if (problems.length) return errors(500, ...problems);
    const product = { id: state.id(), name, description: typeof b.description === 'string' ? b.description : null, isActive: b.isactive === true, isSerialized: b.isserialized === true, productBillingCodeID: Number(b.productbillingcodeid) };
    state.seed.products.push(product);
    return { status: 200, body: { itemId: product.id } };
  }));

  server.route('POST', `${base}/Companies`, writing('companies', (req) => {
    const b = lowerKeys(req.json);
    const problems: string[] = [];
    for (const k of ['companyName', 'companyType', 'ownerResourceID', 'phone']) {
      const v = b[k.toLowerCase()];
      if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) problems.push(`Missing Required Field: ${k}`);
    }
    const name = typeof b.companyname === 'string' ? b.companyname.trim() : '';
    if (name.length > 100) problems.push('companyName exceeds the maximum length of 100.');
    if (CONTROL.test(name)) problems.push('companyName contains characters that are not allowed.');
    if (b.companytype != null && !COMPANY_TYPES.some((t) => t.value === String(b.companytype))) problems.push(`Value ${String(b.companytype)} is not a valid picklist value for field companyType.`);
    const owners = [state.seed.apiUser.resourceId, state.seed.technician.id];
    if (b.ownerresourceid != null && !owners.includes(Number(b.ownerresourceid))) problems.push('Reference value on field: ownerResourceID of type: Resource does not exist or is invisible.');
    const phone = typeof b.phone === 'string' ? b.phone : '';
    if (phone.length > 25) problems.push('phone exceeds the maximum length of 25.');
    if (problems.length) return errors(500, ...problems);
    const company: Company = {
      id: state.id(), companyName: name, companyType: Number(b.companytype), isActive: b.isactive !== false, phone,
      ownerResourceID: Number(b.ownerresourceid), lastTrackedModifiedDateTime: now(),
    };
    state.seed.companies.push(company);
    state.seed.companyLocations.push({ id: state.id(), companyID: company.id, name: 'Primary', isPrimary: true, isActive: true });
    return { status: 200, body: { itemId: company.id } };
  }));
}
