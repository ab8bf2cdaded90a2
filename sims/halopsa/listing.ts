/**
 * Halo list answers: plain arrays for configuration lists, `{page_no, page_size, record_count,
 * <key>: [...]}` for entities. Paging only applies with `pageinate=true`; otherwise `count=N`
 * limits the rows.
 */
import type { SimResponse } from '../common/server';

const truthy = (v: string | null) => v !== null && /^(true|1)$/i.test(v.trim());

export function wrappedList(rows: unknown[], query: URLSearchParams, key: string, maxPageSize: number): SimResponse {
  if (truthy(query.get('pageinate'))) {
    const size = Math.min(Math.max(1, Number.parseInt(query.get('page_size') ?? '', 10) || 50), maxPageSize);
    const pageNo = Math.max(1, Number.parseInt(query.get('page_no') ?? '', 10) || 1);
    const slice = rows.slice((pageNo - 1) * size, pageNo * size);
    return { status: 200, body: { page_no: pageNo, page_size: size, record_count: rows.length, [key]: slice } };
  }
  const count = Number.parseInt(query.get('count') ?? '', 10);
  const limited = Number.isFinite(count) && count > 0 ? rows.slice(0, count) : rows;
  return { status: 200, body: { record_count: rows.length, [key]: limited } };
}

export function plainList(rows: unknown[]): SimResponse {
  return { status: 200, body: rows };
}

export function isTrue(query: URLSearchParams, name: string): boolean {
  return truthy(query.get(name));
}

/** Case-insensitive substring match used by Halo's `search` parameter. */
export function matches(search: string | null, ...fields: (string | null | undefined)[]): boolean {
  if (!search || !search.trim()) return true;
  const term = search.trim().toLowerCase();
  return fields.some((f) => typeof f === 'string' && f.toLowerCase().includes(term));
}

export const notFound = (what: string, id: string): SimResponse => ({ status: 404, body: `${what} ${id} not found` });
