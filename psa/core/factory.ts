/**
 * How an adapter is built: each vendor folder exports one `AdapterFactory` with its
 * credentials schema and default rate budget; `psa/registry.ts` maps PsaKind → factory. The
 * factory also owns what needs no adapter: checking the sites credentials name before a
 * connect, and verifying the ticket events the PSA sends us (each vendor signs them its own
 * way), so callers never branch on the vendor.
 */
import type { z } from 'zod';
import { RateGovernor, type GovernorLimits } from './governor';
import type { SharedBudget } from './shared-budget';
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
  /**
   * The vendor-issued identity of this integration (ConnectWise clientId, Autotask API
   * integration code): deployment configuration, not partner input. Credentials stored before
   * it was configured may carry their own, which then wins.
   */
  integrationId?: string;
}

/** What a verified ticket event from the PSA reports. */
export interface TicketEvent {
  /** The PSA's id of the ticket. */
  ticketId: string;
  /** Whether the ticket is closed now, when the event says; undefined: re-read the ticket. */
  closed?: boolean;
  /**
   * Who made the change: our own API user (the PSA calls us about our own writes), someone
   * else, or not said (the event carries no author).
   */
  author: 'us' | 'others' | 'unknown';
}

/** An inbound ticket event with what verifying it may need. */
export interface TicketEventRequest {
  rawBody: string;
  headers: Record<string, string | string[] | undefined>;
  /** The connection's decrypted credentials (a vendor that signs with a key of its own finds its site in them). */
  credentials: unknown;
  /** The per-connection secret we gave the PSA when subscribing. */
  secret: string;
  /** The non-secret facts stored about the connection's site at connect (e.g. our API user's id). */
  site: Record<string, string>;
  /** Today's URL policy and trust, for any key the vendor makes us fetch. */
  context: AdapterContext;
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
  /**
   * Before a connect: checks that the sites these credentials name are allowed by the URL policy
   * (UrlNotAllowedError) and that their TLS verifies (TlsFailedError), sending no credentials.
   * Credentials the schema refuses are left to the caller's validation.
   */
  checkSites(credentials: unknown, ctx: AdapterContext): Promise<void>;
  /**
   * Authenticates an inbound ticket event and says what it reports. Throws PsaAuthError when it
   * is not authentic, PsaValidationError when it is authentic but not a ticket event we can read.
   */
  verifyTicketEvent(request: TicketEventRequest): Promise<TicketEvent>;
}

const governors = new Map<string, RateGovernor>();
let sharedBudget: SharedBudget | null = null;

/**
 * From now on, governors also admit each request against `budget` under their key, so the
 * processes sharing it (every worker on one database) together stay inside a vendor's budget.
 * Governors made before are dropped; null goes back to per-process budgets.
 */
export function shareBudgetsThrough(budget: SharedBudget | null): void {
  sharedBudget = budget;
  governors.clear();
}

/** One governor per connection and process, so every adapter instance shares the budget. */
export function governorFor(key: string, limits: GovernorLimits): RateGovernor {
  const existing = governors.get(key);
  if (existing && sameLimits(existing.limits, limits)) return existing;
  const created = new RateGovernor(limits, Date.now, sharedBudget ? { budget: sharedBudget, key } : null);
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
