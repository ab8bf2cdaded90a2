/**
 * The rules of `company/configurations` as the PSA applies them: `name`, `type` and `company`
 * are required (the spec marks only `name`; the PSA refuses the others missing too), references
 * by id or by name/identifier, field lengths from the 2022.1+ model, the default status when none
 * is given, a site and contact that belong to the company, custom fields replaced as a whole
 * array on PATCH (a field left out of the array loses its value), and the questions of the
 * configuration's type (`questions: [{questionId, answer}]`; a new type brings its own, unanswered).
 */
import type { CwFieldError } from './responses';
import type { Configuration, ConfigurationCustomField, Info, Ref, SimData } from './types';

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: CwFieldError[] };

/** Longest value of each string field (CompanyConfiguration in the 2022.1 spec). */
export const CONFIGURATION_LENGTHS: Record<string, number> = {
  name: 100,
  deviceIdentifier: 100,
  serialNumber: 250,
  modelNumber: 50,
  tagNumber: 50,
  osType: 250,
  osInfo: 250,
  ipAddress: 50,
  macAddress: 25,
  lastLoginName: 100,
  managementLink: 1000,
  remoteLink: 1000,
};

const TEXT_FIELDS = Object.keys(CONFIGURATION_LENGTHS);
const DATE_FIELDS = ['warrantyExpirationDate', 'purchaseDate', 'installationDate'];

/** Second precision, as the PSA stamps `_info.lastUpdated`. */
export const stamp = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

const field = (name: string, message: string, code = 'InvalidField'): CwFieldError => ({ code, message, field: name });

/** NUL and other C0 controls are refused (the PSA answers "invalid character"). */
const hasControl = (v: string) => /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v);

function refTo<T extends { id: number }>(raw: unknown, pool: readonly T[], byName: (x: T) => string | undefined): T | null | 'invalid' {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object') return 'invalid';
  const r = raw as { id?: unknown; name?: unknown; identifier?: unknown };
  if (typeof r.id === 'number') return pool.find((x) => x.id === r.id) ?? 'invalid';
  const label = typeof r.name === 'string' ? r.name : typeof r.identifier === 'string' ? r.identifier : null;
  if (label === null) return 'invalid';
  return pool.find((x) => byName(x)?.toLowerCase() === label.toLowerCase()) ?? 'invalid';
}

function customFieldsOf(data: SimData, raw: unknown, errors: CwFieldError[]): ConfigurationCustomField[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    errors.push(field('customFields', 'customFields must be an array.'));
    return undefined;
  }
  const given = new Map<number, unknown>();
  for (const item of raw as { id?: unknown; value?: unknown }[]) {
    const def = data.configurationCustomFields.find((f) => f.id === item?.id);
    if (!def) {
      errors.push(field('customFields', `Custom field ${String(item?.id)} does not exist.`));
      continue;
    }
    const v = item.value ?? null;
    const bad =
      (def.type === 'Number' && v !== null && typeof v !== 'number') ||
      (def.type === 'Checkbox' && v !== null && typeof v !== 'boolean') ||
      (def.type === 'Date' && v !== null && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) ||
      (def.type === 'Text' && v !== null && (typeof v !== 'string' || hasControl(v)));
    if (bad) errors.push(field('customFields', `The value of custom field ${def.caption} is not a valid ${def.type}.`));
    else given.set(def.id, v);
  }
  // The array replaces what was there: fields left out are cleared.
  return data.configurationCustomFields.map((f) => ({ ...f, value: (given.get(f.id) as ConfigurationCustomField['value'] | undefined) ?? null }));
}

/** Validates `input` over `base` (a new record's defaults, or the stored record for PATCH). */
export function checkConfiguration(data: SimData, base: Configuration, input: Record<string, unknown>, creating: boolean): Checked<Configuration> {
  const errors: CwFieldError[] = [];
  const next: Configuration = structuredClone(base);
  const has = (k: string) => Object.hasOwn(input, k);

  for (const k of TEXT_FIELDS) {
    if (!has(k)) continue;
    const v = input[k];
    if (v === null) {
      (next as unknown as Record<string, unknown>)[k] = null;
      continue;
    }
    if (typeof v !== 'string') errors.push(field(k, `${k} must be a string.`));
    else if (hasControl(v)) errors.push(field(k, `${k} contains an invalid character.`));
    else if (v.length > (CONFIGURATION_LENGTHS[k] as number)) errors.push(field(k, `${k} cannot be longer than ${CONFIGURATION_LENGTHS[k]} characters.`, 'InvalidField'));
    else (next as unknown as Record<string, unknown>)[k] = v;
  }
  if (typeof next.name !== 'string' || next.name.trim() === '') errors.push(field('name', 'The name field is required.', 'NullValue'));
  if (has('notes')) {
    const v = input.notes;
    if (v !== null && (typeof v !== 'string' || hasControl(v))) errors.push(field('notes', 'notes must be text without control characters.'));
    else next.notes = v as string | null;
  }
  for (const k of DATE_FIELDS) {
    if (!has(k)) continue;
    const v = input[k];
    if (v !== null && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) errors.push(field(k, `${k} must be a date-time like 2025-01-31T00:00:00Z.`));
    else (next as unknown as Record<string, unknown>)[k] = v === null ? null : new Date(v as string).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  for (const k of ['activeFlag', 'billFlag'] as const) {
    if (!has(k)) continue;
    if (typeof input[k] !== 'boolean') errors.push(field(k, `${k} must be true or false.`));
    else next[k] = input[k] as boolean;
  }

  // Required references: absent on create, or cleared on PATCH, is NullValue.
  const required = <T extends { id: number }>(k: string, pool: readonly T[], byName: (x: T) => string | undefined): T | undefined => {
    const found = has(k) ? refTo(input[k], pool, byName) : undefined;
    if (found === 'invalid') errors.push(field(k, `${k} does not exist.`));
    else if (found === null || (found === undefined && creating)) errors.push(field(k, `The ${k} field is required.`, 'NullValue'));
    else return found;
    return undefined;
  };
  const company = required('company', data.companies.filter((c) => !c.deletedFlag), (c) => c.identifier);
  if (company) next.company = { id: company.id, identifier: company.identifier, name: company.name };
  const type = required('type', data.configurationTypes, (t) => t.name);
  if (type && type.inactiveFlag) errors.push(field('type', `Configuration type ${type.name} is inactive.`));
  else if (type) next.type = { id: type.id, name: type.name };

  const status = has('status') ? refTo(input.status, data.configurationStatuses, (s) => s.description) : undefined;
  if (status === 'invalid') errors.push(field('status', 'status does not exist.'));
  else if (status) next.status = { id: status.id, name: status.description };

  const sitesOf = (companyId: number) => data.sites.filter((s) => s.company.id === companyId);
  const site = has('site') ? refTo(input.site, sitesOf(next.company.id), (s) => s.name) : undefined;
  if (site === 'invalid') errors.push(field('site', 'site does not exist for this company.'));
  else if (site !== undefined) next.site = site ? { id: site.id, name: site.name } : null;
  else if (next.site && !sitesOf(next.company.id).some((s) => s.id === next.site?.id)) errors.push(field('site', 'site does not belong to the company.'));

  const contactsOf = (companyId: number) => data.contacts.filter((c) => c.company.id === companyId);
  const contact = has('contact') ? refTo(input.contact, contactsOf(next.company.id), (c) => `${c.firstName} ${c.lastName ?? ''}`.trim()) : undefined;
  if (contact === 'invalid') errors.push(field('contact', 'contact does not exist for this company.'));
  else if (contact !== undefined) next.contact = contact ? { id: contact.id, name: `${contact.firstName} ${contact.lastName ?? ''}`.trim() } : null;
  else if (next.contact && !contactsOf(next.company.id).some((c) => c.id === next.contact?.id)) errors.push(field('contact', 'contact does not belong to the company.'));

  const custom = customFieldsOf(data, input.customFields, errors);
  if (custom) next.customFields = custom;

  // A new configuration, or a new type, starts with that type's questions unanswered.
  if (creating || next.type.id !== base.type.id) {
    next.questions = data.configurationTypeQuestions
      .filter((q) => q.typeId === next.type.id && !q.inactiveFlag)
      .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
      .map((q) => ({ questionId: q.id, question: q.question, answer: null, fieldType: q.fieldType }));
  }
  if (input.questions !== undefined && input.questions !== null) {
    if (!Array.isArray(input.questions)) errors.push(field('questions', 'questions must be an array of {questionId, answer}.'));
    else
      for (const a of input.questions as { questionId?: unknown; answer?: unknown }[]) {
        const slot = next.questions.find((q) => q.questionId === a?.questionId);
        const answer = a?.answer === undefined || a.answer === null ? null : String(a.answer);
        if (!slot) errors.push(field('questions', `Question ${String(a?.questionId)} does not belong to configuration type ${next.type.name ?? next.type.id}.`));
        else if (answer !== null && (hasControl(answer) || (slot.fieldType === 'Number' && Number.isNaN(Number(answer))) || (slot.fieldType === 'Checkbox' && !/^(true|false)$/i.test(answer)))) {
          errors.push(field('questions', `The answer to "${slot.question}" is not a valid ${slot.fieldType}.`));
        } else slot.answer = answer;
      }
  }
  for (const q of next.questions) {
    const def = data.configurationTypeQuestions.find((x) => x.id === q.questionId);
    if (def?.requiredFlag && (q.answer === null || q.answer === '')) errors.push(field('questions', `"${def.question}" must be answered.`, 'NullValue'));
  }
  return errors.length ? { ok: false, errors: errors.map((e) => ({ ...e, resource: 'configuration' })) } : { ok: true, value: next };
}

/** What a configuration holds before anyone fills it in: the PSA's nulls and flags. */
export const EMPTY_CONFIGURATION_DETAILS = {
  contact: null,
  deviceIdentifier: null,
  serialNumber: null,
  modelNumber: null,
  tagNumber: null,
  manufacturer: null,
  warrantyExpirationDate: null,
  purchaseDate: null,
  installationDate: null,
  osType: null,
  osInfo: null,
  ipAddress: null,
  macAddress: null,
  lastLoginName: null,
  activeFlag: true,
  billFlag: false,
  managementLink: null,
  remoteLink: null,
  notes: null,
  parentConfigurationId: null,
} satisfies Partial<Configuration>;

/** A new configuration's defaults: the default status, every custom field empty. */
export function blankConfiguration(data: SimData, id: number, who: string): Configuration {
  const status = data.configurationStatuses.find((s) => s.defaultFlag) ?? data.configurationStatuses[0];
  const now = stamp();
  const info: Info = { lastUpdated: now, updatedBy: who, dateEntered: now, enteredBy: who };
  const none: Ref = { id: 0, name: '' };
  return {
    id,
    name: '',
    type: none,
    status: status ? { id: status.id, name: status.description } : none,
    company: none,
    site: null,
    ...EMPTY_CONFIGURATION_DETAILS,
    questions: [],
    customFields: data.configurationCustomFields.map((f) => ({ ...f, value: null })),
    _info: info,
  };
}

/** Applies JSON-Patch operations; like the PSA, a path below a top-level field (`company/id`) is ignored. */
export function patchInput(ops: unknown): { ok: true; input: Record<string, unknown> } | { ok: false; error: string } {
  if (!Array.isArray(ops)) return { ok: false, error: 'PATCH expects a JSON-Patch array of {op, path, value}.' };
  const input: Record<string, unknown> = {};
  for (const op of ops as { op?: unknown; path?: unknown; value?: unknown }[]) {
    if (!op || typeof op.path !== 'string' || !['add', 'replace', 'remove'].includes(String(op.op))) {
      return { ok: false, error: 'Each patch operation needs op (add|replace|remove) and path.' };
    }
    const path = op.path.replace(/^\//, '');
    if (path.includes('/')) continue;
    if (['id', '_info'].includes(path)) return { ok: false, error: `${path} cannot be patched.` };
    input[path] = op.op === 'remove' ? null : op.value;
  }
  return { ok: true, input };
}

/** `lastUpdated` in conditions means `_info/lastUpdated` (both spellings are in use). */
export function aliasLastUpdated(conditions: string | null): string | null {
  if (!conditions) return conditions;
  let out = '';
  let inString = false;
  for (let i = 0; i < conditions.length; i += 1) {
    const c = conditions[i] as string;
    if (c === '"' && conditions[i - 1] !== '\\') inString = !inString;
    if (!inString && /[A-Za-z_]/.test(c) && !/[A-Za-z0-9_/]/.test(conditions[i - 1] ?? '') && /^lastUpdated\b/i.test(conditions.slice(i))) {
      out += '_info/lastUpdated';
      i += 'lastUpdated'.length - 1;
      continue;
    }
    out += c;
  }
  return out;
}
