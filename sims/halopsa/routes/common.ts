import type { SimRequest, SimResponse } from '../../common/server';
import { HaloSimError } from '../state';

/** Halo POSTs take an array of records; a bare object is accepted as a one-element array. */
export function records(req: SimRequest): Record<string, unknown>[] {
  const body = req.json;
  const list = Array.isArray(body) ? body : body && typeof body === 'object' ? [body] : null;
  if (!list || list.length === 0 || !list.every((r) => r && typeof r === 'object' && !Array.isArray(r))) {
    throw new HaloSimError(400, 'The request body must be a JSON array of records');
  }
  return list as Record<string, unknown>[];
}

/** One record saved: the object itself; several: an array. */
export function saved(list: unknown[]): SimResponse {
  return { status: 201, body: list.length === 1 ? list[0] : list };
}
