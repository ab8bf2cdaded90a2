/**
 * Company creation (`POST company/companies`, Companies > Company Maintenance: Add), a company's
 * sites, and `company/contacts` (Companies > Contacts). A new company needs `identifier` (≤25,
 * unique: a taken one is `ObjectExists`) and `name` (≤50). Whether the PSA also insists on a site
 * or an address line is not settled, so both are optional here; the company gets the site it
 * names, or "Main". A new contact needs `firstName` (≤30) and an existing `company`.
 */
import { stamp } from '../configurations';
import { countResponse, listResponse, oneResponse } from '../listing';
import { invalidObject, ok, type CwFieldError } from '../responses';
import type { Company, CompanySite, Contact } from '../types';
import { API, findOr404, isResponse, type RouteContext } from './common';

const COMPANIES = 'Companies > Company Maintenance' as const;
const CONTACTS = 'Companies > Contacts' as const;

const hasControl = (v: string) => /[\u0000-\u001f]/.test(v);

export function registerCompanyContactRoutes({ server, sim, api }: RouteContext): void {
  const d = () => sim.data;
  const companies = () => d().companies.filter((c) => !c.deletedFlag);

  server.route('POST', `${API}/company/companies`, api({ module: COMPANIES, level: 'add' }, (req, member) => {
    const b = (req.json && typeof req.json === 'object' && !Array.isArray(req.json) ? req.json : {}) as Record<string, unknown>;
    const errors: CwFieldError[] = [];
    const text = (k: string, max: number, requiredField: boolean): string | null => {
      const v = b[k];
      if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
        if (requiredField) errors.push({ code: 'NullValue', message: `The ${k} field is required.`, field: k });
        return null;
      }
      if (typeof v !== 'string') errors.push({ code: 'InvalidField', message: `${k} must be a string.`, field: k });
      else if (hasControl(v)) errors.push({ code: 'InvalidField', message: `${k} contains an invalid character.`, field: k });
      else if (v.length > max) errors.push({ code: 'InvalidField', message: `${k} cannot be longer than ${max} characters.`, field: k });
      else return v;
      return null;
    };
    const identifier = text('identifier', 25, true);
    const name = text('name', 50, true);
    const siteRef = b.site && typeof b.site === 'object' ? (b.site as { name?: unknown }) : null;
    const siteName = typeof siteRef?.name === 'string' && siteRef.name.trim() ? siteRef.name.trim().slice(0, 50) : 'Main';
    if (identifier && d().companies.some((c) => c.identifier.toLowerCase() === identifier.toLowerCase())) {
      errors.push({ code: 'ObjectExists', message: 'Company ID already in use.', field: 'identifier' });
    }
    if (errors.length || !identifier || !name) return invalidObject('company', errors);
    const now = stamp();
    const info = { lastUpdated: now, updatedBy: member.identifier, dateEntered: now, enteredBy: member.identifier };
    const company: Company = { id: ++d().nextId, identifier, name, status: { id: 1, name: 'Active' }, types: [{ id: 1, name: 'Client' }], deletedFlag: false, _info: info };
    d().companies.push(company);
    const site: CompanySite = {
      id: ++d().nextId,
      name: siteName,
      company: { id: company.id, identifier, name },
      addressLine1: typeof b.addressLine1 === 'string' ? b.addressLine1 : null,
      city: typeof b.city === 'string' ? b.city : null,
      primaryAddressFlag: true,
      inactiveFlag: false,
      _info: info,
    };
    d().sites.push(site);
    return ok({ ...company, site: { id: site.id, name: site.name } }, 201);
  }));

  const sitesOf = (companyId: number) => d().sites.filter((s) => s.company.id === companyId);
  server.route('GET', `${API}/company/companies/:id/sites`, api({ module: COMPANIES, level: 'inquire' }, (req) => {
    const c = findOr404(req, 'id', companies(), 'Company');
    return isResponse(c) ? c : listResponse(req, sitesOf(c.id));
  }));
  server.route('GET', `${API}/company/companies/:id/sites/:site`, api({ module: COMPANIES, level: 'inquire' }, (req) => {
    const c = findOr404(req, 'id', companies(), 'Company');
    if (isResponse(c)) return c;
    const s = findOr404(req, 'site', sitesOf(c.id), 'CompanySite');
    return isResponse(s) ? s : oneResponse(req, s);
  }));

  const contacts = () => d().contacts;
  server.route('GET', `${API}/company/contacts`, api({ module: CONTACTS, level: 'inquire' }, (req) => listResponse(req, contacts())));
  server.route('POST', `${API}/company/contacts`, api({ module: CONTACTS, level: 'add' }, (req, member) => {
    const b = (req.json && typeof req.json === 'object' && !Array.isArray(req.json) ? req.json : {}) as Record<string, unknown>;
    const errors: CwFieldError[] = [];
    const firstName = typeof b.firstName === 'string' ? b.firstName.trim() : '';
    if (!firstName) errors.push({ code: 'NullValue', message: 'The firstName field is required.', field: 'firstName' });
    else if (firstName.length > 30 || hasControl(firstName)) errors.push({ code: 'InvalidField', message: 'firstName must be at most 30 printable characters.', field: 'firstName' });
    const lastName = typeof b.lastName === 'string' && b.lastName.trim() ? b.lastName.trim().slice(0, 30) : null;
    const companyRef = b.company && typeof b.company === 'object' ? (b.company as { id?: unknown }) : null;
    const company = companies().find((c) => c.id === companyRef?.id);
    if (!company) errors.push({ code: 'InvalidField', message: 'company must exist.', field: 'company' });
    if (errors.length || !company) return invalidObject('contact', errors);
    const now = stamp();
    const contact: Contact = {
      id: ++d().nextId,
      firstName,
      lastName,
      company: { id: company.id, identifier: company.identifier, name: company.name },
      site: null,
      inactiveFlag: false,
      communicationItems: [],
      _info: { lastUpdated: now, updatedBy: member.identifier, dateEntered: now, enteredBy: member.identifier },
    };
    d().contacts.push(contact);
    return ok(contact, 201);
  }));
  server.route('GET', `${API}/company/contacts/count`, api({ module: CONTACTS, level: 'inquire' }, (req) => countResponse(req, contacts())));
  server.route('GET', `${API}/company/contacts/:id`, api({ module: CONTACTS, level: 'inquire' }, (req) => {
    const c = findOr404(req, 'id', contacts(), 'Contact');
    return isResponse(c) ? c : oneResponse(req, c);
  }));
}
