/**
 * HaloPSA simulator: OAuth2 client-credentials tokens at `/auth/token` (`?tenant=`), Bearer auth
 * on case-insensitive `/api/*` routes, role permissions (403), plain-array configuration lists and
 * wrapped, `pageinate`-paged entity lists, POST-array upserts answering with the saved object,
 * actions that need an outcome, software-licence seat counts, Halo's assorted error shapes, the
 * rolling "300 per 5 minutes" budget (configurable, Retry-After optional) and Basic-auth webhooks.
 */
import { SimServer } from '../common/server';
import { makeGate } from './gate';
import { registerAssetRoutes } from './routes/assets';
import { registerAuthRoutes } from './routes/auth';
import { registerBillingRoutes } from './routes/billing';
import { registerConfigRoutes } from './routes/config';
import { registerTicketRoutes } from './routes/tickets';
import { registerWebhookRoutes } from './routes/webhooks';
import { createSeed } from './seed';
import { HaloSimState, type RateLimitConfig } from './state';
import type { HaloSimData } from './types';

export { SEED_CREDENTIALS, SEED_FIXTURES, INVENTORY_FIXTURES, API_AGENT_ID, TECHNICIAN_AGENT_ID, TECHNICIAN_APP_CREDENTIALS, createSeed, type SeedOptions } from './seed';
export { HaloSimState, HaloSimError, type RateLimitConfig } from './state';
export { rateLimitText } from './gate';
export { WEBHOOK_EVENTS } from './routes/webhooks';
export type { HaloSimData, HaloRight } from './types';
export type { WebhookDelivery } from './webhooks';

export interface HaloPsaSimOptions {
  port?: number;
  seed?: () => HaloSimData;
  /** Default: Halo's hosted 300 requests per rolling 5 minutes, with Retry-After. */
  rateLimit?: Partial<RateLimitConfig>;
  /** Lifetime of issued tokens (Halo: 3600 s). */
  tokenTtlSec?: number;
  /** Require `?tenant=<this>` on token requests, as hosted instances do. */
  tenant?: string;
  webhookTimeoutMs?: number;
}

export interface HaloPsaSim {
  server: SimServer;
  state: HaloSimState;
  /** http://127.0.0.1:<port> — the "site URL" (resource server without /api). */
  url: string;
  close(): Promise<void>;
}

export const HALO_DEFAULT_SIM_RATE_LIMIT: RateLimitConfig = { maxRequests: 300, windowMs: 300_000, sendRetryAfter: true };

export async function startHaloPsaSim(options: HaloPsaSimOptions = {}): Promise<HaloPsaSim> {
  const state = new HaloSimState(options.seed ?? createSeed, {
    rateLimit: { ...HALO_DEFAULT_SIM_RATE_LIMIT, ...(options.rateLimit ?? {}) },
    tokenTtlSec: options.tokenTtlSec ?? 3600,
    tenant: options.tenant ?? null,
    ...(options.webhookTimeoutMs !== undefined ? { webhookTimeoutMs: options.webhookTimeoutMs } : {}),
  });
  // /__sim/reset clears faults and the log; the request window goes too so budgets restart, data stays.
  const server = new SimServer({ name: 'halopsa', caseInsensitive: true, onReset: () => (state.accepted.length = 0) });
  const gate = makeGate(state);
  registerAuthRoutes(server, state, gate, () => server.url);
  registerConfigRoutes(server, state, gate);
  registerTicketRoutes(server, state, gate);
  registerBillingRoutes(server, state, gate);
  registerWebhookRoutes(server, state, gate);
  registerAssetRoutes(server, state, gate);
  const url = await server.listen(options.port ?? 0);
  return {
    server,
    state,
    url,
    async close() {
      await state.webhooks.flush();
      await server.close();
    },
  };
}
