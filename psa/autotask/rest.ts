/**
 * The Autotask REST calls the inventory modules share: POST `/{Entity}/query` with a cursor that
 * only ever points into this connection's own zone, GET by id, create (`{itemId}`), PATCH with
 * the id in the body, entity metadata, and the API user's own resource id.
 */
import type { z } from 'zod';
import type { PsaHttpClient } from '../core/http';
import { PsaValidationError } from '../core/errors';
import { entityInfoSchema, fieldsSchema, itemIdSchema, itemSchema, parseVendor, queryPageSchema, type Row } from './schemas';

export type Filter = Record<string, unknown>;
export const MAX_RECORDS = 500;

export interface QueryPage {
  items: Row[];
  next: string | null;
}

export class AutotaskRest {
  private resourceId: Promise<number | null> | null = null;

  constructor(
    readonly http: PsaHttpClient,
    private readonly apiUser: string,
  ) {}

  async query(entity: string, filter: Filter[], maxRecords = MAX_RECORDS, cursor: string | null = null): Promise<QueryPage> {
    // The cursor is Autotask's nextPageUrl, handed back to us by the portal: follow it only into
    // this connection's own zone, or a crafted cursor could send our credentials elsewhere.
    if (cursor !== null && !this.isOwnCursor(cursor)) {
      throw new PsaValidationError('The page cursor does not belong to this Autotask connection', { details: ['invalid cursor'] });
    }
    // Autotask wants at least one condition ("id >= 0" is its idiom for everything); a POST
    // query's next page is POSTed with the same body.
    const body = { MaxRecords: Math.min(MAX_RECORDS, Math.max(1, maxRecords)), Filter: filter.length ? filter : [{ op: 'gte', field: 'id', value: 0 }] };
    const res = await this.http.request({ method: 'POST', url: cursor ?? `${entity}/query`, json: body, endpoint: entity, idempotent: true });
    const page = parseVendor(queryPageSchema, res.body, `${entity}/query`);
    return { items: page.items, next: page.pageDetails?.nextPageUrl ?? null };
  }

  /** Every row the filter selects, page after page. */
  async all(entity: string, filter: Filter[]): Promise<Row[]> {
    const out: Row[] = [];
    let cursor: string | null = null;
    do {
      const page: QueryPage = await this.query(entity, filter, MAX_RECORDS, cursor);
      out.push(...page.items);
      cursor = page.next;
    } while (cursor);
    return out;
  }

  async item(entity: string, id: string | number): Promise<Row> {
    const res = await this.http.request({ method: 'GET', url: `${entity}/${encodeURIComponent(String(id))}`, endpoint: entity, idempotent: true });
    return parseVendor(itemSchema, res.body, `${entity}/{id}`).item;
  }

  async create(entity: string, json: unknown): Promise<number> {
    const res = await this.http.request({ method: 'POST', url: entity, json, endpoint: entity });
    return parseVendor(itemIdSchema, res.body, entity).itemId;
  }

  /** Creates a child through its parent (`POST /Contracts/{id}/Services`), as Autotask creates child entities. */
  async createChild(parent: string, parentId: number, child: string, json: unknown): Promise<number> {
    const res = await this.http.request({ method: 'POST', url: `${parent}/${parentId}/${child}`, json, endpoint: parent });
    return parseVendor(itemIdSchema, res.body, `${parent}/{id}/${child}`).itemId;
  }

  /** PATCH sets only the given fields; the same body twice leaves the same record, so it is retried. */
  async patch(entity: string, json: Record<string, unknown>): Promise<number> {
    const res = await this.http.request({ method: 'PATCH', url: entity, json, endpoint: entity, idempotent: true });
    return parseVendor(itemIdSchema, res.body, entity).itemId;
  }

  /**
   * What the API user's security level lets it do with `entity` (`/{Entity}/entityInformation`:
   * `userAccessForCreate` / `…ForUpdate`, "None" when the level does not allow it): write rights
   * found without writing. An absent field counts as allowed (it says nothing).
   */
  async access(entity: string): Promise<{ create: boolean; update: boolean }> {
    const res = await this.http.request({ method: 'GET', url: `${entity}/entityInformation`, endpoint: entity, idempotent: true });
    const info = parseVendor(entityInfoSchema, res.body, `${entity}/entityInformation`).info;
    const allowed = (v: string | null | undefined) => (v ?? '').trim().toLowerCase() !== 'none';
    return { create: allowed(info.userAccessForCreate), update: allowed(info.userAccessForUpdate) };
  }

  async fields(entity: string, which: 'fields' | 'userDefinedFields' = 'fields'): Promise<z.infer<typeof fieldsSchema>['fields']> {
    const res = await this.http.request({ method: 'GET', url: `${entity}/entityInformation/${which}`, endpoint: entity, idempotent: true });
    return parseVendor(fieldsSchema, res.body, `${entity}/entityInformation/${which}`).fields;
  }

  /** The API user's own resource id (owner of companies we create). */
  ownResourceId(): Promise<number | null> {
    this.resourceId ??= this.query('Resources', [{ op: 'eq', field: 'userName', value: this.apiUser }], 1).then((p) => p.items[0]?.id ?? null);
    this.resourceId.catch(() => (this.resourceId = null));
    return this.resourceId;
  }

  /** A next-page URL of this zone's API (compared after URL normalisation, so `..` cannot climb out). */
  private isOwnCursor(cursor: string): boolean {
    let url: URL;
    try {
      url = new URL(cursor);
    } catch {
      return false;
    }
    const base = new URL(this.http.baseUrl);
    return url.origin === base.origin && !url.username && !url.password && url.pathname.toLowerCase().startsWith(`${base.pathname.toLowerCase()}/`) && /\/query\/next$/i.test(url.pathname);
  }
}
