/**
 * Autotask query filters: `[{ op, field, value }]` (top level ANDed), grouping with
 * `{ op: 'and' | 'or', items: [...] }`. Field names are case-insensitive. A condition with
 * `udf: true` tests the user-defined field of that label; one query may test one UDF only.
 * Date-times compare as instants, whatever their fractional seconds.
 */
export interface FilterNode {
  op: string;
  field?: string;
  value?: unknown;
  items?: FilterNode[];
  udf?: boolean;
}

export class FilterError extends Error {}

const OPS = new Set(['eq', 'noteq', 'gt', 'gte', 'lt', 'lte', 'beginswith', 'endswith', 'contains', 'exist', 'notexist', 'in', 'notin', 'and', 'or']);

function fieldOf(item: Record<string, unknown>, name: string): unknown {
  // Clients mostly spell fields as Autotask does: look that up before a case-insensitive scan.
  if (Object.hasOwn(item, name)) return item[name];
  const lower = name.toLowerCase();
  const key = Object.keys(item).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : item[key];
}

const norm = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
const same = (a: unknown, b: unknown) => (typeof a === 'number' || typeof b === 'number' ? Number(a) === Number(b) : norm(a) === norm(b));

export interface FilterOptions {
  /** Labels of the entity's UDFs; a UDF condition on any other label is refused. */
  udfs?: readonly string[];
  /** Whether `in` / `notIn` may test a UDF. Autotask does not say; the simulator allows it unless told otherwise. */
  udfInOperator?: boolean;
}

export function validateFilter(nodes: unknown, knownFields: readonly string[], options: FilterOptions = {}): FilterNode[] {
  if (!Array.isArray(nodes)) throw new FilterError('Filter must be an array');
  const known = new Set(knownFields.map((f) => f.toLowerCase()));
  const udfs = new Set<string>();
  const check = (n: FilterNode) => {
    const op = String(n?.op ?? '').toLowerCase();
    if (!OPS.has(op)) throw new FilterError(`Unknown filter operator: ${n?.op}`);
    if (op === 'and' || op === 'or') {
      if (!Array.isArray(n.items) || n.items.length === 0) throw new FilterError(`'${n.op}' needs items`);
      n.items.forEach(check);
      return;
    }
    if (n.udf === true) {
      const label = String(n.field ?? '');
      if (!options.udfs?.some((u) => u.toLowerCase() === label.toLowerCase())) throw new FilterError(`Unable to find user-defined field ${label} in the ${'entity'} entity.`);
      if ((op === 'in' || op === 'notin') && options.udfInOperator === false) throw new FilterError(`The ${n.op} operator cannot be used on a user-defined field.`);
      udfs.add(label.toLowerCase());
      return;
    }
    if (!n.field || !known.has(n.field.toLowerCase())) throw new FilterError(`Unable to find ${n.field} in the ${'entity'} entity.`);
  };
  (nodes as FilterNode[]).forEach(check);
  if (udfs.size > 1) throw new FilterError('Only one user-defined field can be queried at a time.');
  return nodes as FilterNode[];
}

function udfOf(item: Record<string, unknown>, label: string): unknown {
  const list = item.userDefinedFields;
  if (!Array.isArray(list)) return undefined;
  const hit = (list as { name?: unknown; value?: unknown }[]).find((u) => String(u?.name ?? '').toLowerCase() === label.toLowerCase());
  return hit?.value ?? null;
}

const ISO = /^\d{4}-\d{2}-\d{2}T/;
/** Compares as instants when both sides are date-times, else as numbers or strings. */
function order(v: unknown, want: unknown): number | null {
  if (typeof v === 'string' && typeof want === 'string' && ISO.test(v) && ISO.test(want)) {
    const a = Date.parse(v.endsWith('Z') || /[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
    const b = Date.parse(want.endsWith('Z') || /[+-]\d\d:\d\d$/.test(want) ? want : `${want}Z`);
    if (!Number.isNaN(a) && !Number.isNaN(b)) return a - b;
  }
  return null;
}

export function matches(item: Record<string, unknown>, node: FilterNode): boolean {
  const op = node.op.toLowerCase();
  if (op === 'and') return (node.items ?? []).every((n) => matches(item, n));
  if (op === 'or') return (node.items ?? []).some((n) => matches(item, n));
  const v = node.udf === true ? udfOf(item, node.field as string) : fieldOf(item, node.field as string);
  const want = node.value;
  const instant = order(v, want);
  if (instant !== null && ['gt', 'gte', 'lt', 'lte'].includes(op)) {
    return op === 'gt' ? instant > 0 : op === 'gte' ? instant >= 0 : op === 'lt' ? instant < 0 : instant <= 0;
  }
  switch (op) {
    case 'eq':
      return v !== null && v !== undefined && same(v, want);
    case 'noteq':
      return !same(v, want);
    case 'gt':
      return Number(v) > Number(want) || (typeof v === 'string' && String(v) > String(want) && Number.isNaN(Number(v)));
    case 'gte':
      return Number(v) >= Number(want) || (typeof v === 'string' && String(v) >= String(want) && Number.isNaN(Number(v)));
    case 'lt':
      return Number(v) < Number(want) || (typeof v === 'string' && String(v) < String(want) && Number.isNaN(Number(v)));
    case 'lte':
      return Number(v) <= Number(want) || (typeof v === 'string' && String(v) <= String(want) && Number.isNaN(Number(v)));
    case 'beginswith':
      return String(v ?? '').toLowerCase().startsWith(String(want).toLowerCase());
    case 'endswith':
      return String(v ?? '').toLowerCase().endsWith(String(want).toLowerCase());
    case 'contains':
      return String(v ?? '').toLowerCase().includes(String(want).toLowerCase());
    case 'exist':
      return v !== null && v !== undefined && v !== '';
    case 'notexist':
      return v === null || v === undefined || v === '';
    case 'in':
      return Array.isArray(want) && want.some((w) => same(v, w));
    case 'notin':
      return Array.isArray(want) && !want.some((w) => same(v, w));
    default:
      return false;
  }
}
