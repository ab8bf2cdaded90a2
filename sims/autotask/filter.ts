/**
 * Autotask query filters: `[{ op, field, value }]` (top level ANDed), grouping with
 * `{ op: 'and' | 'or', items: [...] }`. Field names are case-insensitive.
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

export function validateFilter(nodes: unknown, knownFields: readonly string[]): FilterNode[] {
  if (!Array.isArray(nodes)) throw new FilterError('Filter must be an array');
  const known = new Set(knownFields.map((f) => f.toLowerCase()));
  const check = (n: FilterNode) => {
    const op = String(n?.op ?? '').toLowerCase();
    if (!OPS.has(op)) throw new FilterError(`Unknown filter operator: ${n?.op}`);
    if (op === 'and' || op === 'or') {
      if (!Array.isArray(n.items) || n.items.length === 0) throw new FilterError(`'${n.op}' needs items`);
      n.items.forEach(check);
      return;
    }
    if (!n.field || !known.has(n.field.toLowerCase())) throw new FilterError(`Unable to find ${n.field} in the ${'entity'} entity.`);
  };
  (nodes as FilterNode[]).forEach(check);
  return nodes as FilterNode[];
}

export function matches(item: Record<string, unknown>, node: FilterNode): boolean {
  const op = node.op.toLowerCase();
  if (op === 'and') return (node.items ?? []).every((n) => matches(item, n));
  if (op === 'or') return (node.items ?? []).some((n) => matches(item, n));
  const v = fieldOf(item, node.field as string);
  const want = node.value;
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
