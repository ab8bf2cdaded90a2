/**
 * What every simulated Halo request passes through before its handler: the rolling-window
 * budget (429 with Halo's text), Bearer token check (401 with `WWW-Authenticate`), and the role
 * permission the endpoint needs (403). Handler refusals (`HaloSimError`) become responses here.
 */
import type { SimHandler, SimRequest, SimResponse } from '../common/server';
import { HaloSimError, type HaloSimState } from './state';
import type { HaloRight } from './types';

const RIGHT_LABELS: Record<HaloRight, string> = {
  tickets: 'Tickets',
  customers: 'Customers',
  softwarelicensing: 'Software Licensing',
  suppliers: 'Suppliers',
  assets: 'Assets',
  users: 'Users',
};

export type ApiHandler = (req: SimRequest, agentId: number) => SimResponse | Promise<SimResponse>;

export function rateLimitText(maxRequests: number, windowMs: number): string {
  const minutes = Math.round((windowMs / 60_000) * 100) / 100;
  return `Rate Limit Reached - ${maxRequests} Requests per rolling ${minutes} minute window`;
}

export function makeGate(state: HaloSimState) {
  const throttle = (): SimResponse | null => {
    const verdict = state.admit();
    if (verdict.ok) return null;
    const { maxRequests, windowMs, sendRetryAfter } = state.rateLimit;
    return {
      status: 429,
      headers: sendRetryAfter ? { 'retry-after': String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))) } : {},
      body: rateLimitText(maxRequests, windowMs),
    };
  };

  const run = async (fn: () => SimResponse | Promise<SimResponse>): Promise<SimResponse> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof HaloSimError) return { status: err.status, body: err.body };
      throw err;
    }
  };

  return {
    /** Unauthenticated endpoints (token, authinfo): budget only. */
    open(handler: SimHandler): SimHandler {
      return (req) => throttle() ?? run(() => handler(req));
    },
    /** `/api/*`: budget, Bearer token, then the role right when one is named. */
    api(right: HaloRight | null, handler: ApiHandler): SimHandler {
      return (req) => {
        const limited = throttle();
        if (limited) return limited;
        const auth = String(req.headers.authorization ?? '');
        const match = /^Bearer\s+(.+)$/i.exec(auth);
        const agentId = match ? state.agentForToken((match[1] as string).trim()) : null;
        if (agentId === null) {
          return { status: 401, headers: { 'www-authenticate': match ? 'Bearer error="invalid_token"' : 'Bearer' } };
        }
        if (right && !state.data.rights[right]) {
          return { status: 403, body: { message: `You do not have permission to access ${RIGHT_LABELS[right]}. Check the Access Level of your role.` } };
        }
        return run(() => handler(req, agentId));
      };
    },
    /** Like `api`, and the right must be held as "Read and Modify" (not "Read Only"). */
    write(right: HaloRight, handler: ApiHandler): SimHandler {
      return this.api(right, (req, agentId) =>
        state.data.readOnly[right]
          ? { status: 403, body: { message: `You do not have permission to add or edit ${RIGHT_LABELS[right]}. Your role has Read Only access.` } }
          : handler(req, agentId),
      );
    },
  };
}
