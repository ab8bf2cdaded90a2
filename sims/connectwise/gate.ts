/**
 * What every `/apis/3.0` request passes before its handler, in the PSA's order: codebase,
 * rate limit (429 + Retry-After), clientId header, Basic `companyId+publicKey:privateKey`,
 * active member, and the security-role right the route needs (403).
 */
import type { SimHandler, SimRequest, SimResponse } from '../common/server';
import { cwError, tooManyRequests } from './responses';
import type { ConnectWiseSimState } from './state';
import type { AccessLevel, Member, Module } from './types';

export type ApiHandler = (req: SimRequest, member: Member) => SimResponse | Promise<SimResponse>;
export interface Gate {
  /** The security-role module the route needs; absent = any authenticated member. */
  module?: Module;
  level: AccessLevel;
}

function header(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function rateLimited(sim: ConnectWiseSimState): SimResponse | null {
  const now = Date.now();
  const cutoff = now - sim.rateLimit.windowMs;
  while (sim.accepted.length > 0 && (sim.accepted[0] as number) <= cutoff) sim.accepted.shift();
  if (sim.accepted.length >= sim.rateLimit.maxRequests) {
    const oldest = sim.accepted[0] as number;
    return tooManyRequests(Math.max(1, Math.ceil((oldest + sim.rateLimit.windowMs - now) / 1000)));
  }
  sim.accepted.push(now);
  sim.peakInWindow = Math.max(sim.peakInWindow, sim.accepted.length);
  return null;
}

function authenticate(sim: ConnectWiseSimState, req: SimRequest): Member | SimResponse {
  const clientId = header(req, 'clientid');
  if (!clientId || !sim.data.clientIds.some((c) => c.toLowerCase() === clientId.trim().toLowerCase())) {
    return cwError(401, 'Unauthorized', 'A valid clientId header is required. Register an integration at developer.connectwise.com to get one.');
  }
  const auth = header(req, 'authorization') ?? '';
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(auth.trim());
  if (!m) return cwError(401, 'Unauthorized', 'The Authorization header is missing or is not Basic authentication.');
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const secret = colon < 0 ? '' : decoded.slice(colon + 1);
  const plus = user.indexOf('+');
  const company = plus < 0 ? '' : user.slice(0, plus);
  const publicKey = plus < 0 ? user : user.slice(plus + 1);
  const member = sim.data.members.find((x) => x.publicKey !== undefined && x.publicKey === publicKey);
  if (company.toLowerCase() !== sim.data.companyId.toLowerCase() || !member || member.privateKey !== secret) {
    return cwError(401, 'ConnectWiseApi', 'UserNotAuthenticated');
  }
  if (member.inactiveFlag) {
    return cwError(401, 'Unauthorized', `Member ${member.identifier} is inactive. An administrator must reactivate the API member before it can sign in.`);
  }
  return member;
}

const LEVEL_LABEL: Record<AccessLevel, string> = { inquire: 'Inquire', add: 'Add', edit: 'Edit', delete: 'Delete' };

export function makeGate(sim: ConnectWiseSimState) {
  return (gate: Gate, handler: ApiHandler): SimHandler =>
    async (req) => {
      const codebase = req.params.codebase ?? '';
      const known = [sim.data.codebase.replace(/\/$/, ''), 'v4_6_release'];
      if (!known.some((c) => c.toLowerCase() === codebase.toLowerCase())) {
        return cwError(404, 'NotFound', `The codebase ${codebase} does not exist on this site.`);
      }
      const limited = rateLimited(sim);
      if (limited) return limited;
      const member = authenticate(sim, req);
      if (!('identifier' in member)) return member;
      if (gate.module && !member.rights.get(gate.module)?.has(gate.level)) {
        return cwError(
          403,
          'Forbidden',
          `You do not have access to ${gate.module} (${LEVEL_LABEL[gate.level]}). Ask your administrator to add it to your security role.`,
        );
      }
      const endpoint = req.path.split('/').slice(4, 6).join('/').toLowerCase();
      const busy = (sim.inFlight.get(endpoint) ?? 0) + 1;
      sim.inFlight.set(endpoint, busy);
      sim.maxInFlight.set(endpoint, Math.max(busy, sim.maxInFlight.get(endpoint) ?? 0));
      try {
        if (sim.latencyMs > 0) await new Promise((r) => setTimeout(r, sim.latencyMs));
        const res = await handler(req, member);
        return { ...res, headers: { 'api-current-version': '2025.1', ...(res.headers ?? {}) } };
      } finally {
        sim.inFlight.set(endpoint, (sim.inFlight.get(endpoint) ?? 1) - 1);
      }
    };
}
