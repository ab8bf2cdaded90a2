/**
 * The ConnectWise REST surface over PsaHttpClient: codebase-prefixed paths
 * (`/{codebase}apis/3.0/...`), the Basic/clientId/versioned-Accept headers, navigable paging via
 * the Link header, forward-only paging for full walks, and zod parsing of every answer.
 */
import type { z } from 'zod';
import { PsaAuthError, PsaNotFoundError, PsaUnavailableError } from '../core/errors';
import type { HttpRequest, PsaHttpClient } from '../core/http';
import { companyInfoSchema } from './schemas';

export const API_VERSION = '2025.1';
export const ACCEPT = `application/vnd.connectwise.com+json; version=${API_VERSION}`;
export const MAX_PAGE_SIZE = 1000;

export interface ListQuery {
  conditions?: string;
  orderBy?: string;
  fields?: string;
  page?: number;
  pageSize?: number;
}

export interface CodebaseInfo {
  codebase: string;
  companyName: string | null;
  versionCode: string | null;
}

/** Quotes a string for `conditions`; backslash and double quote are escaped. */
export function cwString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The page number in the Link header's rel="next" URL, or null on the last page. */
export function nextPageFromLink(link: string | string[] | undefined): number | null {
  const header = Array.isArray(link) ? link.join(', ') : link;
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part.trim());
    if (!m) continue;
    try {
      const page = new URL(m[1] as string, 'https://x').searchParams.get('page');
      return page && /^\d+$/.test(page) ? Number(page) : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** Parses a vendor answer; a shape we cannot read is the PSA misbehaving, not a caller error. */
export function parse<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new PsaUnavailableError(`ConnectWise returned an unexpected ${what} response`);
  return r.data;
}

/** Governor key: module/entity (`service/tickets`), so concurrency is limited per endpoint. */
function endpointOf(path: string): string {
  return path.replace(/^\/+/, '').split('/').slice(0, 2).join('/').toLowerCase();
}

/** Codebases by `origin|companyId`: they change only on PSA upgrades, so one lookup per process suffices. */
const discovered = new Map<string, CodebaseInfo>();

export class ConnectWiseApi {
  private codebase: string | null;
  private info: CodebaseInfo | null = null;

  constructor(
    private readonly http: PsaHttpClient,
    private readonly companyId: string,
    codebase: string | undefined,
  ) {
    this.codebase = codebase ?? null;
  }

  /** `GET /login/companyinfo/{companyId}` (anonymous). */
  async discover(): Promise<CodebaseInfo> {
    if (this.info) return this.info;
    const cacheKey = `${this.http.baseUrl}|${this.companyId.toLowerCase()}`;
    const cached = discovered.get(cacheKey);
    if (cached) {
      this.info = cached;
      this.codebase ??= cached.codebase;
      return cached;
    }
    let res;
    try {
      res = await this.http.request({
        method: 'GET',
        url: `/login/companyinfo/${encodeURIComponent(this.companyId)}`,
        endpoint: 'login/companyinfo',
        idempotent: true,
        anonymous: true,
      });
    } catch (err) {
      if (err instanceof PsaNotFoundError) {
        throw new PsaAuthError(`ConnectWise does not know the company id "${this.companyId}"; check the Company ID`, { status: 404 });
      }
      throw err;
    }
    const body = companyInfoSchema.safeParse(res.body);
    if (!body.success) throw new PsaAuthError(`ConnectWise does not know the company id "${this.companyId}"; check the Company ID`);
    const cb = body.data.Codebase.trim();
    this.info = { codebase: cb.endsWith('/') ? cb : `${cb}/`, companyName: body.data.CompanyName ?? null, versionCode: body.data.VersionCode ?? null };
    this.codebase ??= this.info.codebase;
    discovered.set(cacheKey, this.info);
    return this.info;
  }

  knownCodebase(): string | null {
    return this.codebase;
  }

  private async prefix(): Promise<string> {
    if (!this.codebase) await this.discover();
    return `/${this.codebase}apis/3.0/`;
  }

  async send(req: Omit<HttpRequest, 'url' | 'endpoint'> & { path: string }) {
    const { path, ...rest } = req;
    return this.http.request({ ...rest, url: `${await this.prefix()}${path.replace(/^\/+/, '')}`, endpoint: endpointOf(path) });
  }

  async get<S extends z.ZodType>(path: string, schema: S, what: string, query?: HttpRequest['query']): Promise<z.output<S>> {
    const res = await this.send({ method: 'GET', path, query, idempotent: true });
    return parse(schema, res.body, what);
  }

  /** One navigable page; `nextPage` comes from the Link header. */
  async page<S extends z.ZodType>(path: string, schema: S, what: string, q: ListQuery): Promise<{ items: z.output<S>[]; nextPage: number | null }> {
    const pageSize = Math.min(Math.max(1, q.pageSize ?? 25), MAX_PAGE_SIZE);
    const res = await this.send({
      method: 'GET',
      path,
      idempotent: true,
      query: { conditions: q.conditions, orderBy: q.orderBy, fields: q.fields, page: q.page ?? 1, pageSize },
    });
    if (!Array.isArray(res.body)) throw new PsaUnavailableError(`ConnectWise returned an unexpected ${what} list`);
    return { items: res.body.map((x) => parse(schema, x, what)), nextPage: nextPageFromLink(res.headers.link) };
  }

  /** Every record, walking forward-only pages (`pageId` = last id) until a short page. */
  async all<S extends z.ZodType>(path: string, schema: S, what: string, q: Omit<ListQuery, 'page' | 'orderBy'> = {}): Promise<z.output<S>[]> {
    const pageSize = Math.min(q.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    const out: z.output<S>[] = [];
    let pageId = 0;
    for (;;) {
      const res = await this.send({
        method: 'GET',
        path,
        idempotent: true,
        headers: { 'pagination-type': 'forward-only' },
        query: { conditions: q.conditions, fields: q.fields, pageSize, pageId: pageId || undefined },
      });
      if (!Array.isArray(res.body)) throw new PsaUnavailableError(`ConnectWise returned an unexpected ${what} list`);
      const items = res.body.map((x) => parse(schema, x, what));
      out.push(...items);
      const last = items[items.length - 1] as { id?: unknown } | undefined;
      if (items.length < pageSize || typeof last?.id !== 'number' || last.id <= pageId) return out;
      pageId = last.id;
    }
  }
}
