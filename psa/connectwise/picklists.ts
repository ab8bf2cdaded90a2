/**
 * Where each mapping field's options come from in ConnectWise, how they are scoped by their
 * parents, and which records count as selectable. `options()` lists with these conditions;
 * `option()` fetches one record by id and applies the same rules, so an id is valid exactly
 * when it would appear in the list.
 */
import type { z } from 'zod';
import { PsaConfigError } from '../core/errors';
import type { MappingKind, MappingValues, PicklistOption } from '../core/types';
import { cwString } from './api';
import {
  additionSchema,
  agreementSchema,
  boardChildSchema,
  boardSchema,
  boardStatusSchema,
  catalogItemSchema,
  categorySchema,
  companySchema,
  prioritySchema,
  productTypeSchema,
  slaSchema,
  subcategorySchema,
} from './schemas';

export interface PicklistSource<S extends z.ZodType = z.ZodType> {
  schema: S;
  what: string;
  /** Parents this field needs (from its FieldSpec). */
  parents: readonly string[];
  /** List path under /apis/3.0, given validated numeric parents. */
  listPath(p: Record<string, number>): string;
  /** Path of one record by id. */
  onePath(p: Record<string, number>, id: number): string;
  /** Conditions that define the selectable set (scope + active flags). */
  scope(p: Record<string, number>): string;
  /** The same rule applied to a record fetched by id. */
  accepts(record: z.output<S>, p: Record<string, number>): boolean;
  /** Field(s) a free-text search matches. */
  searchFields: readonly string[];
  toOption(record: z.output<S>): PicklistOption;
  orderBy: string;
}

const source = <S extends z.ZodType>(s: PicklistSource<S>): PicklistSource => s as unknown as PicklistSource;

const named = (r: { id: number; name: string }): PicklistOption => ({ id: String(r.id), name: r.name });

type BoardChildRecord = z.output<typeof boardChildSchema>;
const boardChild = (segment: string, what: string) =>
  source({
    schema: boardChildSchema,
    what,
    parents: ['board'],
    listPath: (p) => `service/boards/${p.board}/${segment}`,
    onePath: (p, id) => `service/boards/${p.board}/${segment}/${id}`,
    scope: () => 'inactiveFlag=false',
    accepts: (r: BoardChildRecord) => r.inactiveFlag !== true,
    searchFields: ['name'],
    toOption: named,
    orderBy: 'name asc',
  });

type Status = z.output<typeof boardStatusSchema>;
const statusSource = (closedOnly: boolean) =>
  source({
    schema: boardStatusSchema,
    what: 'board status',
    parents: ['board'],
    listPath: (p) => `service/boards/${p.board}/statuses`,
    onePath: (p, id) => `service/boards/${p.board}/statuses/${id}`,
    scope: () => (closedOnly ? 'inactive=false and closedStatus=true' : 'inactive=false'),
    accepts: (r: Status) => r.inactive !== true && (!closedOnly || r.closedStatus === true),
    searchFields: ['name'],
    toOption: (r: Status) => ({ id: String(r.id), name: r.name, meta: { closed: r.closedStatus === true, default: r.defaultFlag === true } }),
    orderBy: 'sortOrder asc',
  });

type Agreement = z.output<typeof agreementSchema>;
type Addition = z.output<typeof additionSchema>;
type Catalog = z.output<typeof catalogItemSchema>;
type Sub = z.output<typeof subcategorySchema>;

export const PICKLISTS: Record<MappingKind, Record<string, PicklistSource>> = {
  ticket: {
    board: source({
      schema: boardSchema,
      what: 'board',
      parents: [],
      listPath: () => 'service/boards',
      onePath: (_p, id) => `service/boards/${id}`,
      // Project boards hold project tickets, which /service/tickets cannot create.
      scope: () => 'inactiveFlag=false and projectFlag=false',
      accepts: (r: z.output<typeof boardSchema>) => r.inactiveFlag !== true && r.projectFlag !== true,
      searchFields: ['name'],
      toOption: named,
      orderBy: 'name asc',
    }),
    status: statusSource(false),
    closedStatus: statusSource(true),
    type: boardChild('types', 'board type'),
    subtype: boardChild('subtypes', 'board subtype'),
    item: boardChild('items', 'board item'),
    priority: source({
      schema: prioritySchema,
      what: 'priority',
      parents: [],
      listPath: () => 'service/priorities',
      onePath: (_p, id) => `service/priorities/${id}`,
      scope: () => '',
      accepts: () => true,
      searchFields: ['name'],
      toOption: named,
      orderBy: 'sortOrder asc',
    }),
    sla: source({
      schema: slaSchema,
      what: 'SLA',
      parents: [],
      listPath: () => 'service/SLAs',
      onePath: (_p, id) => `service/SLAs/${id}`,
      scope: () => '',
      accepts: () => true,
      searchFields: ['name'],
      toOption: named,
      orderBy: 'name asc',
    }),
  },
  plan: {
    category: source({
      schema: categorySchema,
      what: 'category',
      parents: [],
      listPath: () => 'procurement/categories',
      onePath: (_p, id) => `procurement/categories/${id}`,
      scope: () => 'inactiveFlag=false',
      accepts: (r: z.output<typeof categorySchema>) => r.inactiveFlag !== true,
      searchFields: ['name'],
      toOption: named,
      orderBy: 'name asc',
    }),
    subcategory: source({
      schema: subcategorySchema,
      what: 'subcategory',
      parents: ['category'],
      listPath: (p) => `procurement/categories/${p.category}/subcategories`,
      onePath: (_p, id) => `procurement/subcategories/${id}`,
      scope: () => 'inactiveFlag=false',
      accepts: (r: Sub, p) => r.inactiveFlag !== true && r.category?.id === p.category,
      searchFields: ['name'],
      toOption: named,
      orderBy: 'name asc',
    }),
    productType: source({
      schema: productTypeSchema,
      what: 'product type',
      parents: [],
      listPath: () => 'procurement/types',
      onePath: (_p, id) => `procurement/types/${id}`,
      scope: () => 'inactiveFlag=false',
      accepts: (r: z.output<typeof productTypeSchema>) => r.inactiveFlag !== true,
      searchFields: ['name'],
      toOption: named,
      orderBy: 'name asc',
    }),
    catalogItem: source({
      schema: catalogItemSchema,
      what: 'catalog item',
      parents: ['category', 'subcategory'],
      listPath: () => 'procurement/catalog',
      onePath: (_p, id) => `procurement/catalog/${id}`,
      scope: (p) => `category/id=${p.category} and subcategory/id=${p.subcategory} and inactiveFlag=false`,
      accepts: (r: Catalog, p) => r.inactiveFlag !== true && r.category?.id === p.category && r.subcategory?.id === p.subcategory,
      searchFields: ['identifier', 'description'],
      toOption: (r: Catalog) => ({
        id: String(r.id),
        name: r.description ? `${r.identifier} - ${r.description}` : r.identifier,
        meta: { identifier: r.identifier, price: r.price ?? null, productType: r.type?.name ?? null },
      }),
      orderBy: 'identifier asc',
    }),
  },
  organization: {
    company: source({
      schema: companySchema,
      what: 'company',
      parents: [],
      listPath: () => 'company/companies',
      onePath: (_p, id) => `company/companies/${id}`,
      scope: () => 'deletedFlag=false',
      accepts: (r: z.output<typeof companySchema>) => r.deletedFlag !== true,
      searchFields: ['name'],
      toOption: (r: z.output<typeof companySchema>) => ({ id: String(r.id), name: r.name, meta: { identifier: r.identifier ?? null } }),
      orderBy: 'name asc',
    }),
    agreement: source({
      schema: agreementSchema,
      what: 'agreement',
      parents: ['company'],
      listPath: () => 'finance/agreements',
      onePath: (_p, id) => `finance/agreements/${id}`,
      scope: (p) => `company/id=${p.company} and cancelledFlag=false`,
      accepts: (r: Agreement, p) => r.cancelledFlag !== true && r.company?.id === p.company,
      searchFields: ['name'],
      toOption: (r: Agreement) => ({ id: String(r.id), name: r.name, meta: { status: r.agreementStatus ?? null } }),
      orderBy: 'name asc',
    }),
    agreementAddition: source({
      schema: additionSchema,
      what: 'agreement addition',
      parents: ['agreement'],
      listPath: (p) => `finance/agreements/${p.agreement}/additions`,
      onePath: (p, id) => `finance/agreements/${p.agreement}/additions/${id}`,
      scope: () => 'cancelledDate=null',
      accepts: (r: Addition) => !r.cancelledDate,
      searchFields: ['product/identifier', 'description'],
      toOption: (r: Addition) => ({
        id: String(r.id),
        name: [r.product?.identifier, r.description].filter(Boolean).join(' - ') || `Addition ${r.id}`,
        meta: { quantity: r.quantity, product: r.product?.identifier ?? null },
      }),
      orderBy: 'id asc',
    }),
  },
};

const NUMERIC_ID = /^\d{1,12}$/;

export function isCwId(value: string | undefined): value is string {
  return value !== undefined && NUMERIC_ID.test(value);
}

export function lookupSource(kind: MappingKind, field: string): PicklistSource {
  const s = PICKLISTS[kind]?.[field];
  if (!s) throw new PsaConfigError(`ConnectWise has no ${kind} mapping field "${field}"`);
  return s;
}

/**
 * Numeric parent ids the source needs. A missing parent is a caller error; a non-numeric one
 * cannot exist in ConnectWise, so `null` lets option() answer "not found" without a request.
 */
export function parentIds(kind: MappingKind, field: string, s: PicklistSource, parents: MappingValues = {}): Record<string, number> | null {
  const out: Record<string, number> = {};
  for (const name of s.parents) {
    const v = parents[name];
    if (v === undefined || v === '') throw new PsaConfigError(`Choose the ${kind} mapping's ${name} before its ${field}`);
    if (!isCwId(v)) return null;
    out[name] = Number(v);
  }
  return out;
}

/** Free text for `contains`: quotes, backslashes and wildcards are dropped rather than escaped. */
export function searchCondition(s: PicklistSource, search: string | undefined): string {
  const text = (search ?? '').replace(/["\\*%]/g, '').trim();
  if (!text) return '';
  return `(${s.searchFields.map((f) => `${f} contains ${cwString(text)}`).join(' or ')})`;
}
