/**
 * Thin HaloPSA REST helpers over PsaHttpClient: `/api/*` paths, POST-array upserts, lenient
 * list parsing (plain arrays or `{record_count, <key>: [...]}`), and 404 → null for lookups.
 */
import type { z } from 'zod';
import { PsaNotFoundError, PsaPermissionError, PsaUnavailableError, PsaValidationError } from '../core/errors';
import type { PsaHttpClient } from '../core/http';
import { recordCountSchema } from './schemas';

export type Query = Record<string, string | number | boolean | undefined>;

export interface ListResult<T> {
  items: T[];
  /** Total across pages when Halo reports it (wrapped lists), else null. */
  recordCount: number | null;
}

export class HaloApi {
  /**
   * `ensureAuth` obtains the token before each request: PsaHttpClient turns anything thrown from
   * `authHeaders` into PsaUnavailableError, which would hide a refused token (PsaAuthError).
   */
  constructor(
    readonly http: PsaHttpClient,
    private readonly ensureAuth: () => Promise<unknown> = async () => undefined,
  ) {}

  async get(path: string, query?: Query): Promise<unknown> {
    await this.ensureAuth();
    const res = await this.http.request({ method: 'GET', url: `api/${path}`, query, idempotent: true });
    return res.body;
  }

  /** Halo upserts take an array; with `id` the listed fields are updated. Returns the saved object. */
  async upsert(entity: string, record: Record<string, unknown>, options: { idempotent: boolean }): Promise<unknown> {
    await this.ensureAuth();
    const res = await this.http.request({ method: 'POST', url: `api/${entity}`, json: [record], idempotent: options.idempotent });
    return firstRecord(res.body, entity);
  }

  /**
   * Whether the role may add and edit `entity`, found without writing: an upsert of no records.
   * Halo checks the role's access level before the body, so a "Read Only" level answers 403 and a
   * "Read and Modify" one refuses the empty list (or saves nothing).
   */
  async canWrite(entity: string): Promise<boolean> {
    await this.ensureAuth();
    try {
      await this.http.request({ method: 'POST', url: `api/${entity}`, json: [], idempotent: true });
      return true;
    } catch (err) {
      if (err instanceof PsaPermissionError) return false;
      // Refused for its (empty) body, or an answer that says nothing about the role: not reported.
      if (err instanceof PsaValidationError || err instanceof PsaNotFoundError) return true;
      throw err;
    }
  }

  async delete(path: string): Promise<void> {
    await this.ensureAuth();
    await this.http.request({ method: 'DELETE', url: `api/${path}`, idempotent: true });
  }

  async list<S extends z.ZodType>(path: string, key: string, schema: S, query?: Query): Promise<ListResult<z.output<S>>> {
    const body = await this.get(path, query);
    return parseList(body, key, schema);
  }

  /** One record by id, or null when Halo answers 404. */
  async one<S extends z.ZodType>(path: string, schema: S, query?: Query): Promise<z.output<S> | null> {
    try {
      const body = await this.get(path, query);
      const parsed = schema.safeParse(body);
      if (!parsed.success) throw new PsaUnavailableError(`HaloPSA returned an unexpected shape for ${path.split('/')[0]}`);
      return parsed.data;
    } catch (err) {
      if (err instanceof PsaNotFoundError) return null;
      throw err;
    }
  }
}

export function parseList<S extends z.ZodType>(body: unknown, key: string, schema: S): ListResult<z.output<S>> {
  let raw: unknown[] = [];
  let recordCount: number | null = null;
  if (Array.isArray(body)) raw = body;
  else if (body && typeof body === 'object') {
    const obj = body as Record<string, unknown>;
    const wrapped = Object.entries(obj).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
    if (Array.isArray(wrapped)) raw = wrapped;
    recordCount = recordCountSchema.safeParse(obj).data?.record_count ?? null;
  } else {
    throw new PsaUnavailableError(`HaloPSA returned an unexpected list shape for ${key}`);
  }
  // Skip rows that do not parse rather than failing a whole picklist on one odd record.
  const items: z.output<S>[] = [];
  for (const row of raw) {
    const parsed = schema.safeParse(row);
    if (parsed.success) items.push(parsed.data);
  }
  return { items, recordCount };
}

/** The saved object of a POST: the object itself (CIPP), a one-element array, or `{tickets:[…]}`-style. */
export function firstRecord(body: unknown, entity: string): unknown {
  if (Array.isArray(body)) return body[0];
  if (body && typeof body === 'object' && !('id' in body)) {
    for (const value of Object.values(body as Record<string, unknown>)) {
      if (Array.isArray(value) && value.length > 0) return value[0];
    }
    throw new PsaUnavailableError(`HaloPSA returned no saved ${entity} record`);
  }
  return body;
}
