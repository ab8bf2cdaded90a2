/**
 * How an adapter is built: each vendor folder exports one `AdapterFactory` with its
 * credentials schema and default rate budget; `psa/registry.ts` maps PsaKind → factory.
 */
import type { z } from 'zod';
import { RateGovernor, type GovernorLimits } from './governor';
import type { HttpCallRecord } from './http';
import type { PsaAdapter, PsaKind, VendorCapabilities } from './types';
import type { UrlPolicy } from './url-guard';

export interface AdapterContext {
  /** Stable key of the connection (its id); governors are shared per key inside one process. */
  connectionKey: string;
  urlPolicy: UrlPolicy;
  /** Overrides of the vendor's default budget for this connection. */
  limits?: Partial<GovernorLimits>;
  timeoutMs?: number;
  /** Extra trusted CA (PEM), for the ConnectWise simulator's test CA. */
  ca?: string;
  /** Observes every HTTP call (benchmarks, audit). */
  onCall?: (record: HttpCallRecord) => void;
  /** Autotask only: zone-discovery base URL (the real one unless a simulator is used). */
  autotaskZoneLookupUrl?: string;
}

export interface AdapterFactory<C = unknown> {
  readonly psa: PsaKind;
  /** zod schema of the credentials a partner types in; `.parse` gives typed credentials. */
  readonly credentialsSchema: z.ZodType<C>;
  readonly defaultLimits: GovernorLimits;
  /** Names of the credential fields that are secret (never shown back, never logged). */
  readonly secretFields: readonly string[];
  /** What the vendor can do; the engine asks these instead of naming vendors. */
  readonly capabilities: VendorCapabilities;
  /** Validates URLs (SSRF guard) and builds the adapter; no network call to the PSA except zone discovery. */
  create(credentials: C, ctx: AdapterContext): Promise<PsaAdapter>;
}

const governors = new Map<string, RateGovernor>();

/** One governor per connection and process, so every adapter instance shares the budget. */
export function governorFor(key: string, limits: GovernorLimits): RateGovernor {
  const existing = governors.get(key);
  if (existing && sameLimits(existing.limits, limits)) return existing;
  const created = new RateGovernor(limits);
  governors.set(key, created);
  return created;
}

export function forgetGovernor(key: string): void {
  governors.delete(key);
}

function sameLimits(a: GovernorLimits, b: GovernorLimits): boolean {
  return a.maxRequests === b.maxRequests && a.windowMs === b.windowMs && a.maxConcurrentPerEndpoint === b.maxConcurrentPerEndpoint;
}

export function resolveLimits(defaults: GovernorLimits, overrides?: Partial<GovernorLimits>): GovernorLimits {
  return { ...defaults, ...Object.fromEntries(Object.entries(overrides ?? {}).filter(([, v]) => v !== undefined)) };
}
