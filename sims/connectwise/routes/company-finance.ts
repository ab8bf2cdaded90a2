/** /company/companies and /finance/agreements (+ additions, the seat-billing object). */
import { countResponse, listResponse, oneResponse } from '../listing';
import { cwError, invalidObject, ok } from '../responses';
import type { Addition } from '../types';
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
