/**
 * /company/companies and /finance/agreements (+ additions, the seat-billing object, and agreement
 * types). A new agreement needs `name` (≤100), `type`, `company` and `contact` (the spec marks only
 * the name required; a community script says type, company and contact are too — the simulator
 * takes the stricter reading), the contact being one of the company's.
 */
import { countResponse, listResponse, oneResponse } from '../listing';
import { cwError, invalidObject, ok } from '../responses';
import type { Addition, Agreement } from '../types';
import { API, findOr404, isResponse, type RouteContext } from './common';

const COMPANIES = 'Companies > Company Maintenance' as const;
const AGREEMENTS = 'Finance > Agreements' as const;

const ADDITION_PATCHABLE = new Set(['quantity', 'lessIncluded', 'unitPrice', 'unitCost', 'description', 'invoiceDescription', 'billCustomer', 'effectiveDate', 'cancelledDate']);
const NUMERIC = new Set(['quantity', 'lessIncluded', 'unitPrice', 'unitCost']);

function patchAddition(addition: Addition, ops: unknown): Addition | ReturnType<typeof cwError> {
  if (!Array.isArray(ops)) return cwError(400, 'InvalidRequest', 'PATCH expects a JSON-Patch array of {op, path, value}.');
  const draft = { ...addition } as unknown as Record<string, unknown>;
  for (const op of ops as { op?: unknown; path?: unknown; value?: unknown }[]) {
    if (!op || typeof op.path !== 'string' || !['add', 'replace', 'remove'].includes(String(op.op))) {
      return cwError(400, 'InvalidRequest', 'Each patch operation needs op (add|replace|remove) and path.');
    }
    const path = op.path.replace(/^\//, '');
    if (path.includes('/')) continue;
    if (!ADDITION_PATCHABLE.has(path)) {
      return invalidObject('agreementAddition', [{ code: 'InvalidField', message: `Cannot patch ${path}: the field does not exist or is read-only.`, field: path }]);
    }
    if (NUMERIC.has(path) && (typeof op.value !== 'number' || !Number.isFinite(op.value) || (path === 'quantity' && op.value < 0))) {
      return invalidObject('agreementAddition', [{ code: 'InvalidField', message: `${path} must be a number${path === 'quantity' ? ' of at least 0' : ''}.`, field: path }]);
    }
    if (path === 'billCustomer' && !['Billable', 'DoNotBill', 'NoCharge'].includes(String(op.value))) {
      return invalidObject('agreementAddition', [{ code: 'InvalidField', message: 'billCustomer must be Billable, DoNotBill or NoCharge.', field: path }]);
    }
    draft[path] = op.op === 'remove' ? null : op.value;
  }
  const next = draft as unknown as Addition;
  next.extPrice = Math.round(next.unitPrice * Math.max(0, next.quantity - next.lessIncluded) * 100) / 100;
  return next;
}

export function registerCompanyFinanceRoutes({ server, sim, api }: RouteContext): void {
  const d = () => sim.data;
  const companies = () => d().companies.filter((c) => !c.deletedFlag);

  server.route('GET', `${API}/company/companies`, api({ module: COMPANIES, level: 'inquire' }, (req) => listResponse(req, companies())));
  server.route('GET', `${API}/company/companies/count`, api({ module: COMPANIES, level: 'inquire' }, (req) => countResponse(req, companies())));
  server.route('GET', `${API}/company/companies/:id`, api({ module: COMPANIES, level: 'inquire' }, (req) => {
    const c = findOr404(req, 'id', companies(), 'Company');
    return isResponse(c) ? c : oneResponse(req, c);
  }));

  const agreements = () => d().agreements;
  server.route('GET', `${API}/finance/agreements`, api({ module: AGREEMENTS, level: 'inquire' }, (req) => listResponse(req, agreements())));
  server.route('GET', `${API}/finance/agreements/count`, api({ module: AGREEMENTS, level: 'inquire' }, (req) => countResponse(req, agreements())));
  server.route('GET', `${API}/finance/agreements/types`, api({ module: AGREEMENTS, level: 'inquire' }, (req) => listResponse(req, d().agreementTypes)));
  server.route('POST', `${API}/finance/agreements`, api({ module: AGREEMENTS, level: 'add' }, (req, member) => {
    const b = (req.json && typeof req.json === 'object' && !Array.isArray(req.json) ? req.json : {}) as Record<string, unknown>;
    const ref = (k: string) => (b[k] && typeof b[k] === 'object' ? (b[k] as { id?: unknown; name?: unknown; identifier?: unknown }) : null);
    const errors = [];
    const name = typeof b.name === 'string' ? b.name.trim() : '';
    if (!name) errors.push({ code: 'NullValue', message: 'The name field is required.', field: 'name' });
    else if (name.length > 100) errors.push({ code: 'InvalidField', message: 'name cannot be longer than 100 characters.', field: 'name' });
    const typeRef = ref('type');
    const type = d().agreementTypes.find((t) => t.id === typeRef?.id || (typeof typeRef?.name === 'string' && t.name.toLowerCase() === typeRef.name.toLowerCase()));
    if (!typeRef) errors.push({ code: 'NullValue', message: 'The type field is required.', field: 'type' });
    else if (!type || type.inactiveFlag) errors.push({ code: 'InvalidField', message: 'type must be an active agreement type.', field: 'type' });
    const companyRef = ref('company');
    const company = d().companies.find((c) => !c.deletedFlag && (c.id === companyRef?.id || (typeof companyRef?.identifier === 'string' && c.identifier === companyRef.identifier)));
    if (!companyRef) errors.push({ code: 'NullValue', message: 'The company field is required.', field: 'company' });
    else if (!company) errors.push({ code: 'InvalidField', message: 'company must exist.', field: 'company' });
    const contactRef = ref('contact');
    const contact = d().contacts.find((c) => c.id === contactRef?.id && !c.inactiveFlag);
    if (!contactRef) errors.push({ code: 'NullValue', message: 'The contact field is required.', field: 'contact' });
    else if (!contact || (company && contact.company.id !== company.id)) errors.push({ code: 'InvalidField', message: "contact must be an active contact of the agreement's company.", field: 'contact' });
    if (errors.length || !type || !company || !contact) return invalidObject('agreement', errors);
    const now = new Date().toISOString();
    const agreement: Agreement = {
      id: ++d().nextId,
      name,
      type: { id: type.id, name: type.name },
      company: { id: company.id, identifier: company.identifier, name: company.name },
      startDate: typeof b.startDate === 'string' ? b.startDate : now,
      endDate: typeof b.endDate === 'string' ? b.endDate : null,
      noEndingDateFlag: b.noEndingDateFlag !== false && typeof b.endDate !== 'string',
      cancelledFlag: false,
      agreementStatus: 'Active',
      billingCycle: { id: 2, name: 'Monthly' },
      _info: { lastUpdated: now, updatedBy: member.identifier },
    };
    d().agreements.push(agreement);
    return ok({ ...agreement, contact: { id: contact.id, name: [contact.firstName, contact.lastName].filter(Boolean).join(' ') } }, 201);
  }));
  server.route('GET', `${API}/finance/agreements/:id`, api({ module: AGREEMENTS, level: 'inquire' }, (req) => {
    const a = findOr404(req, 'id', agreements(), 'Agreement');
    return isResponse(a) ? a : oneResponse(req, a);
  }));

  const additionsOf = (agreementId: number) => d().additions.filter((x) => x.agreementId === agreementId);
  server.route('GET', `${API}/finance/agreements/:id/additions`, api({ module: AGREEMENTS, level: 'inquire' }, (req) => {
    const a = findOr404(req, 'id', agreements(), 'Agreement');
    return isResponse(a) ? a : listResponse(req, additionsOf(a.id));
  }));
  server.route('GET', `${API}/finance/agreements/:id/additions/count`, api({ module: AGREEMENTS, level: 'inquire' }, (req) => {
    const a = findOr404(req, 'id', agreements(), 'Agreement');
    return isResponse(a) ? a : countResponse(req, additionsOf(a.id));
  }));
  server.route('GET', `${API}/finance/agreements/:id/additions/:addition`, api({ module: AGREEMENTS, level: 'inquire' }, (req) => {
    const a = findOr404(req, 'id', agreements(), 'Agreement');
    if (isResponse(a)) return a;
    const x = findOr404(req, 'addition', additionsOf(a.id), 'AgreementAddition');
    return isResponse(x) ? x : oneResponse(req, x);
  }));
  server.route('PATCH', `${API}/finance/agreements/:id/additions/:addition`, api({ module: AGREEMENTS, level: 'edit' }, (req) => {
    const a = findOr404(req, 'id', agreements(), 'Agreement');
    if (isResponse(a)) return a;
    const x = findOr404(req, 'addition', additionsOf(a.id), 'AgreementAddition');
    if (isResponse(x)) return x;
    const next = patchAddition(x, req.json);
    if (isResponse(next)) return next;
    next._info = { ...next._info, lastUpdated: new Date().toISOString() };
    Object.assign(x, next);
    return ok(x);
  }));
  server.route('POST', `${API}/finance/agreements/:id/additions`, api({ module: AGREEMENTS, level: 'add' }, (req) => {
    const a = findOr404(req, 'id', agreements(), 'Agreement');
    if (isResponse(a)) return a;
    const b = (req.json ?? {}) as Record<string, unknown>;
    const productRef = b.product as { id?: unknown; identifier?: unknown } | undefined;
    const product = d().catalog.find((c) => c.id === productRef?.id || (typeof productRef?.identifier === 'string' && c.identifier === productRef.identifier));
    const errors = [];
    if (!product) errors.push({ code: 'InvalidField', message: 'product is required and must exist in the catalog.', field: 'product' });
    if (!['Billable', 'DoNotBill', 'NoCharge'].includes(String(b.billCustomer))) errors.push({ code: 'InvalidField', message: 'billCustomer is required.', field: 'billCustomer' });
    if (b.quantity !== undefined && (typeof b.quantity !== 'number' || b.quantity < 0)) errors.push({ code: 'InvalidField', message: 'quantity must be a number of at least 0.', field: 'quantity' });
    if (errors.length || !product) return invalidObject('agreementAddition', errors);
    const quantity = typeof b.quantity === 'number' ? b.quantity : 1;
    const addition: Addition = {
      id: ++d().nextId,
      agreementId: a.id,
      product: { id: product.id, identifier: product.identifier },
      quantity,
      lessIncluded: 0,
      unitPrice: product.price,
      unitCost: product.cost,
      billCustomer: b.billCustomer as Addition['billCustomer'],
      effectiveDate: typeof b.effectiveDate === 'string' ? b.effectiveDate : new Date().toISOString(),
      cancelledDate: null,
      description: typeof b.description === 'string' ? b.description : product.description,
      invoiceDescription: product.customerDescription,
      uom: 'Each',
      extPrice: Math.round(product.price * quantity * 100) / 100,
      agreementStatus: a.agreementStatus,
      _info: { lastUpdated: new Date().toISOString(), updatedBy: 'api' },
    };
    d().additions.push(addition);
    return ok(addition, 201);
  }));
  server.route('DELETE', `${API}/finance/agreements/:id/additions/:addition`, api({ module: AGREEMENTS, level: 'delete' }, (req) => {
    const a = findOr404(req, 'id', agreements(), 'Agreement');
    if (isResponse(a)) return a;
    const x = findOr404(req, 'addition', additionsOf(a.id), 'AgreementAddition');
    if (isResponse(x)) return x;
    sim.deleteAddition(x.id);
    return { status: 204 };
  }));
}
