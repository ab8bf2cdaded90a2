/**
 * `company/configurations` (+ `/count`, `/{id}`, `/bulk`), `…/types` and `…/statuses` under the
 * security-role module Companies > Configurations (Inquire / Add / Edit / Delete). Creating a
 * configuration type is table setup (System > Table Setup, Add).
 */
import type { SimRequest, SimResponse } from '../../common/server';
import { aliasLastUpdated, blankConfiguration, checkConfiguration, patchInput, stamp } from '../configurations';
import { countResponse, listResponse, oneResponse } from '../listing';
import { cwError, invalidObject, ok, type CwFieldError } from '../responses';
import type { Configuration, Member } from '../types';
import { API, findOr404, isResponse, type RouteContext } from './common';

const CONFIGURATIONS = 'Companies > Configurations' as const;
const TABLE_SETUP = 'System > Table Setup' as const;
/** Most configurations one bulk request may carry (the PSA's own cap is not published). */
export const BULK_MAX = 1000;

export function registerConfigurationRoutes({ server, sim, api }: RouteContext): void {
  const d = () => sim.data;
  const inquire = { module: CONFIGURATIONS, level: 'inquire' } as const;

  /** Creates one configuration, or answers its field errors. */
  const createOne = (body: unknown, member: Member): { ok: true; value: Configuration } | { ok: false; errors: CwFieldError[] } => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, errors: [{ code: 'InvalidObject', message: 'The body must be a configuration object.', resource: 'configuration' }] };
    const checked = checkConfiguration(d(), blankConfiguration(d(), 0, member.identifier), body as Record<string, unknown>, true);
    if (!checked.ok) return checked;
    const created = { ...checked.value, id: ++d().nextId };
    d().configurations.push(created);
    return { ok: true, value: created };
  };

  const list = (req: SimRequest) => listResponse(req, d().configurations, aliasLastUpdated(req.query.get('conditions')));
  server.route('GET', `${API}/company/configurations`, api(inquire, list));
  server.route('GET', `${API}/company/configurations/count`, api(inquire, (req) =>
    countResponse({ ...req, query: new URLSearchParams({ conditions: aliasLastUpdated(req.query.get('conditions')) ?? '' }) }, d().configurations),
  ));

  // Registered before `/:id`, which would otherwise take "types" or "statuses" for an id.
  server.route('GET', `${API}/company/configurations/types`, api(inquire, (req) => listResponse(req, d().configurationTypes)));
  server.route('GET', `${API}/company/configurations/types/count`, api(inquire, (req) => countResponse(req, d().configurationTypes)));
  server.route('GET', `${API}/company/configurations/types/:id`, api(inquire, (req) => {
    const t = findOr404(req, 'id', d().configurationTypes, 'ConfigurationType');
    return isResponse(t) ? t : oneResponse(req, t);
  }));
  server.route('GET', `${API}/company/configurations/types/:id/questions`, api(inquire, (req) => {
    const t = findOr404(req, 'id', d().configurationTypes, 'ConfigurationType');
    return isResponse(t) ? t : listResponse(req, d().configurationTypeQuestions.filter((q) => q.typeId === t.id));
  }));
  server.route('POST', `${API}/company/configurations/types`, api({ module: TABLE_SETUP, level: 'add' }, (req, member) => {
    const b = (req.json ?? {}) as Record<string, unknown>;
    const name = typeof b.name === 'string' ? b.name.trim() : '';
    const errors: CwFieldError[] = [];
    if (!name) errors.push({ code: 'NullValue', message: 'The name field is required.', field: 'name' });
    else if (name.length > 50) errors.push({ code: 'InvalidField', message: 'name cannot be longer than 50 characters.', field: 'name' });
    else if (/[\u0000-\u001f]/.test(name)) errors.push({ code: 'InvalidField', message: 'name contains an invalid character.', field: 'name' });
    else if (d().configurationTypes.some((t) => t.name.toLowerCase() === name.toLowerCase())) errors.push({ code: 'ObjectExists', message: 'A configuration type with this name already exists.', field: 'name' });
    if (errors.length) return invalidObject('configurationType', errors);
    const now = stamp();
    const type = { id: ++d().nextId, name, inactiveFlag: b.inactiveFlag === true, systemFlag: false, _info: { lastUpdated: now, updatedBy: member.identifier, dateEntered: now, enteredBy: member.identifier } };
    d().configurationTypes.push(type);
    return ok(type, 201);
  }));
  server.route('GET', `${API}/company/configurations/statuses`, api(inquire, (req) => listResponse(req, d().configurationStatuses)));
  server.route('GET', `${API}/company/configurations/statuses/:id`, api(inquire, (req) => {
    const s = findOr404(req, 'id', d().configurationStatuses, 'ConfigurationStatus');
    return isResponse(s) ? s : oneResponse(req, s);
  }));

  server.route('POST', `${API}/company/configurations`, api({ module: CONFIGURATIONS, level: 'add' }, (req, member) => {
    const r = createOne(req.json, member);
    return r.ok ? ok(r.value, 201) : invalidObject('configuration', r.errors);
  }));

  // Bulk create: an array in, 207 Multi-Status out with one answer per item, in order.
  server.route('POST', `${API}/company/configurations/bulk`, api({ module: CONFIGURATIONS, level: 'add' }, (req, member): SimResponse => {
    if (!Array.isArray(req.json)) return cwError(400, 'InvalidRequest', 'The body must be an array of configurations.');
    if (req.json.length === 0) return cwError(400, 'InvalidRequest', 'The array of configurations is empty.');
    if (req.json.length > BULK_MAX) return cwError(400, 'InvalidRequest', `At most ${BULK_MAX} configurations can be sent at once.`);
    const results = req.json.map((item) => {
      const r = createOne(item, member);
      return r.ok ? { statusCode: 201, entity: r.value } : { statusCode: 400, code: 'InvalidObject', message: 'configuration object is invalid', errors: r.errors };
    });
    return { status: 207, body: results };
  }));

  server.route('GET', `${API}/company/configurations/:id`, api(inquire, (req) => {
    const c = findOr404(req, 'id', d().configurations, 'Configuration');
    return isResponse(c) ? c : oneResponse(req, c);
  }));
  server.route('PATCH', `${API}/company/configurations/:id`, api({ module: CONFIGURATIONS, level: 'edit' }, (req, member) => {
    const c = findOr404(req, 'id', d().configurations, 'Configuration');
    if (isResponse(c)) return c;
    const patch = patchInput(req.json);
    if (!patch.ok) return cwError(400, 'InvalidRequest', patch.error);
    const checked = checkConfiguration(d(), c, patch.input, false);
    if (!checked.ok) return invalidObject('configuration', checked.errors);
    Object.assign(c, checked.value, { _info: { ...c._info, lastUpdated: stamp(), updatedBy: member.identifier } });
    return ok(c);
  }));
  server.route('DELETE', `${API}/company/configurations/:id`, api({ module: CONFIGURATIONS, level: 'delete' }, (req) => {
    const c = findOr404(req, 'id', d().configurations, 'Configuration');
    if (isResponse(c)) return c;
    d().configurations = d().configurations.filter((x) => x.id !== c.id);
    return { status: 204 };
  }));
}
