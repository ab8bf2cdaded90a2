/**
 * List endpoints: `conditions`, `orderBy`, `fields`, navigable paging (`page`/`pageSize` with an
 * RFC 5988 Link header) and forward-only paging (`pagination-type: forward-only` + `pageId`).
 */
import type { SimRequest, SimResponse } from '../common/server';
import { ConditionError, conditionFields, matches, parseConditions } from './conditions';
import { cwError, ok } from './responses';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 1000;

interface Identified {
  id: number;
}

function badRequest(message: string): SimResponse {
  return cwError(400, 'InvalidRequest', message);
}

const CONDITIONS_HELP =
  'Conditions take the form field operator value, e.g. board/name="Help Desk" and closedFlag=false; ' +
  'strings must be in double quotes, operators are = != < <= > >= contains like in.';

/** Filters by `conditions` (from the query, or `body` for POST …/search). Returns an error response on bad syntax. */
export function filterRecords<T>(records: readonly T[], conditions: string | null): T[] | SimResponse {
  if (!conditions || conditions.trim() === '') return [...records];
  let cond;
  try {
    cond = parseConditions(conditions);
  } catch (err) {
    const detail = err instanceof ConditionError ? err.message : 'invalid conditions';
    return badRequest(`Invalid conditions: ${detail}. ${CONDITIONS_HELP}`);
  }
  const sample = records[0];
  if (sample && typeof sample === 'object') {
    // A field is known when some record has it; the search stops at the first that does, so a
    // lookup costs the same with ten records as with ten thousand.
    const hasField = (field: string) => {
      const lower = field.toLowerCase();
      return OPTIONAL_FIELDS.has(lower) || records.some((r) => Object.keys(r as object).some((k) => k.toLowerCase() === lower));
    };
    const unknown = conditionFields(cond).find((f) => !hasField(f));
    if (unknown) return badRequest(`Invalid conditions: unknown field '${unknown}'. ${CONDITIONS_HELP}`);
  }
  return records.filter((r) => matches(r, cond));
}

/** Optional fields that may be absent from every stored record but are still valid in conditions. */
const OPTIONAL_FIELDS = new Set(['externalxref', 'type', 'subtype', 'item', 'priority', 'sla', 'agreement', 'owner', 'resources', 'closeddate', 'closedby']);

function sortRecords<T>(records: T[], orderBy: string): T[] | SimResponse {
  const keys = orderBy.split(',').map((part) => {
    const [field = '', dir = 'asc'] = part.trim().split(/\s+/);
    return { path: field.split('/'), desc: dir.toLowerCase() === 'desc' };
  });
  if (keys.some((k) => !k.path[0])) return badRequest(`Invalid orderBy '${orderBy}': use "field asc|desc".`);
  const get = (r: unknown, path: string[]) =>
    path.reduce<unknown>((cur, seg) => (cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined), r);
  return [...records].sort((a, b) => {
    for (const k of keys) {
      const x = get(a, k.path);
      const y = get(b, k.path);
      const cmp = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''));
      if (cmp !== 0) return k.desc ? -cmp : cmp;
    }
    return 0;
  });
}

/** `fields=id,name,status/id` keeps only those paths. */
function project(record: unknown, fields: string | null): unknown {
  if (!fields) return record;
  const out: Record<string, unknown> = {};
  for (const f of fields.split(',').map((s) => s.trim()).filter(Boolean)) {
    const path = f.split('/');
    let src: unknown = record;
    let dst = out;
    path.forEach((seg, i) => {
      if (src === null || typeof src !== 'object' || !(seg in (src as object))) {
        src = undefined;
        return;
      }
      src = (src as Record<string, unknown>)[seg];
      if (i === path.length - 1) {
        if (src !== undefined) dst[seg] = src;
      } else {
        dst[seg] = (dst[seg] as Record<string, unknown> | undefined) ?? {};
        dst = dst[seg] as Record<string, unknown>;
      }
    });
  }
  return out;
}

function pageLink(req: SimRequest, params: Record<string, string>, rel: string): string {
  const q = new URLSearchParams(req.query);
  for (const [k, v] of Object.entries(params)) q.set(k, v);
  return `<https://${req.headers.host ?? '127.0.0.1'}${req.path}?${q.toString()}>; rel="${rel}"`;
}

/** Answers a list request over `records` (already scoped to the parent, e.g. one board). */
export function listResponse<T extends Identified>(req: SimRequest, records: readonly T[], conditions?: string | null): SimResponse {
  const filtered = filterRecords(records, conditions === undefined ? req.query.get('conditions') : conditions);
  if (!Array.isArray(filtered)) return filtered;
  const rawSize = req.query.get('pageSize');
  const pageSize = rawSize === null ? DEFAULT_PAGE_SIZE : Number(rawSize);
  if (!Number.isInteger(pageSize) || pageSize < 1) return badRequest(`pageSize must be a positive integer.`);
  const size = Math.min(pageSize, MAX_PAGE_SIZE);
  const fields = req.query.get('fields');
  const orderBy = req.query.get('orderBy');

  if (String(req.headers['pagination-type'] ?? '').toLowerCase() === 'forward-only') {
    if (orderBy) return badRequest('orderBy is not supported with forward-only pagination.');
    const rawId = req.query.get('pageId');
    const pageId = rawId === null ? 0 : Number(rawId);
    if (!Number.isInteger(pageId)) return badRequest('pageId must be an integer.');
    const page = filtered.sort((a, b) => a.id - b.id).filter((r) => r.id > pageId).slice(0, size);
    const last = page[page.length - 1];
    // The PSA always sends a next link in forward-only mode; an empty page ends the walk.
    const next = pageLink(req, { pageId: String(last ? last.id : pageId), pageSize: String(size) }, 'next');
    return { status: 200, headers: { link: next }, body: page.map((r) => project(r, fields)) };
  }

  const sorted = orderBy ? sortRecords(filtered, orderBy) : filtered.sort((a, b) => a.id - b.id);
  if (!Array.isArray(sorted)) return sorted;
  const rawPage = req.query.get('page');
  const page = rawPage === null ? 1 : Number(rawPage);
  if (!Number.isInteger(page) || page < 1) return badRequest('page must be a positive integer.');
  const lastPage = Math.max(1, Math.ceil(sorted.length / size));
  const items = sorted.slice((page - 1) * size, page * size);
  const links: string[] = [];
  if (lastPage > 1) {
    links.push(pageLink(req, { page: '1', pageSize: String(size) }, 'first'));
    if (page > 1) links.push(pageLink(req, { page: String(Math.min(page - 1, lastPage)), pageSize: String(size) }, 'prev'));
    if (page < lastPage) links.push(pageLink(req, { page: String(page + 1), pageSize: String(size) }, 'next'));
    links.push(pageLink(req, { page: String(lastPage), pageSize: String(size) }, 'last'));
  }
  return { status: 200, headers: links.length ? { link: links.join(', ') } : {}, body: items.map((r) => project(r, fields)) };
}

export function countResponse<T>(req: SimRequest, records: readonly T[]): SimResponse {
  const filtered = filterRecords(records, req.query.get('conditions'));
  if (!Array.isArray(filtered)) return filtered;
  return ok({ count: filtered.length });
}

export function oneResponse(req: SimRequest, record: unknown): SimResponse {
  return ok(project(record, req.query.get('fields')));
}
