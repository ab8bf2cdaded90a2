import type { SimServer, SimRequest, SimResponse } from '../../common/server';
import type { makeGate } from '../gate';
import type { ConnectWiseSimState } from '../state';
import { notFound } from '../responses';

/** Route params are lower-case: the server matches case-insensitively and lower-cases patterns. */
export const API = '/:codebase/apis/3.0';

export interface RouteContext {
  server: SimServer;
  sim: ConnectWiseSimState;
  api: ReturnType<typeof makeGate>;
}

/** A numeric path parameter, or null when it is not a positive integer. */
export function intParam(req: SimRequest, name: string): number | null {
  const raw = req.params[name] ?? '';
  return /^\d+$/.test(raw) ? Number(raw) : null;
}

/** Finds `params[name]` in `pool` or answers 404 the way the PSA does. */
export function findOr404<T extends { id: number }>(req: SimRequest, name: string, pool: readonly T[], what: string): T | SimResponse {
  const id = intParam(req, name);
  const hit = id === null ? undefined : pool.find((x) => x.id === id);
  return hit ?? notFound(what, req.params[name] ?? '');
}

export function isResponse(x: unknown): x is SimResponse {
  return typeof x === 'object' && x !== null && 'status' in x && typeof (x as SimResponse).status === 'number' && !('id' in x);
}
