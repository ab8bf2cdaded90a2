/**
 * From a stored connection to a live adapter: load the row, open its credentials (bound to the
 * row id), and build the vendor adapter with this deployment's URL policy and rate budgets.
 * While a connection is Unhealthy no adapter is handed out except for the re-test. Activities
 * and the platform client share this.
 */
import type { Db } from '../db/connect';
import type { Connection } from '../db/schema';
import { findConnection } from '../db/repositories/integrations';
import { adapterFactories } from '../psa/registry';
import type { AdapterContext } from '../psa/core/factory';
import type { GovernorLimits } from '../psa/core/governor';
import type { HttpCallRecord } from '../psa/core/http';
import type { UrlPolicy } from '../psa/core/url-guard';
import type { PsaAdapter, PsaKind } from '../psa/core/types';
import type { KeyRing } from '../security/crypto';
import { openCredentials } from '../security/credentials';
import { ConnectionUnhealthyError, NotFound } from '../domain/errors';
import { withPsaOperation } from '../psa/core/observer';

/** How this deployment reaches PSAs (from config/env.ts, or a test's simulators). */
export interface PsaRuntimeOptions {
  urlPolicy: UrlPolicy;
  /** Extra CA (PEM) trusted for PSA HTTPS (the ConnectWise simulator's test CA). */
  ca?: string;
  autotaskZoneLookupUrl?: string;
  timeoutMs?: number;
  /** Per-vendor overrides of the default rate budgets. */
  limits?: Partial<Record<PsaKind, Partial<GovernorLimits>>>;
  onCall?: (connectionId: string, record: HttpCallRecord) => void;
  /** The vendor-issued identity of this integration per PSA (see `AdapterContext.integrationId`). */
  integrationIds?: Partial<Record<PsaKind, string>>;
}

export function adapterContext(psa: PsaKind, key: string, opts: PsaRuntimeOptions): AdapterContext {
  return {
    connectionKey: key,
    urlPolicy: opts.urlPolicy,
    ...(opts.limits?.[psa] ? { limits: opts.limits[psa] } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.autotaskZoneLookupUrl ? { autotaskZoneLookupUrl: opts.autotaskZoneLookupUrl } : {}),
    ...(opts.integrationIds?.[psa] ? { integrationId: opts.integrationIds[psa] } : {}),
    ...(opts.onCall ? { onCall: (r) => opts.onCall?.(key, r) } : {}),
  };
}

/** Builds an adapter from credentials typed by the partner (validated by the vendor's schema). */
export async function adapterForCredentials(psa: PsaKind, credentials: unknown, key: string, opts: PsaRuntimeOptions): Promise<PsaAdapter> {
  const factory = adapterFactories[psa];
  const adapter = await withPsaOperation({ vendor: psa, operation: 'createAdapter' }, () =>
    factory.create(factory.credentialsSchema.parse(credentials), adapterContext(psa, key, opts)),
  );
  return attributed(psa, adapter);
}

/**
 * The adapter with each method's PSA calls attributed to its vendor and the method's name
 * (psa/core/observer.ts), so metrics count calls by vendor and operation.
 */
function attributed(psa: PsaKind, adapter: PsaAdapter): PsaAdapter {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        const method = value as (...args: unknown[]) => unknown;
        const operation = { vendor: psa, operation: prop };
        fn = (...args: unknown[]) => withPsaOperation(operation, () => method.apply(target, args));
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}

/** The columns an adapter is built from, for callers that already read the row in their own query. */
export type AdapterRow = Pick<Connection, 'id' | 'psa' | 'status' | 'health' | 'healthReason' | 'credentials' | 'credentialsKeyId' | 'updatedAt'>;

export interface AdapterProvider {
  /** The adapter of a stored connection; refuses an Unhealthy one unless `allowUnhealthy`. */
  forConnection(connectionId: string, options?: { allowUnhealthy?: boolean }): Promise<{ adapter: PsaAdapter; connection: Connection }>;
  /** The same from a row the caller has just read (same checks, no query of its own). */
  forRow(row: AdapterRow | undefined, options?: { allowUnhealthy?: boolean }): Promise<PsaAdapter>;
  /** Drops cached adapters of a connection (credentials changed, revoked). */
  invalidate(connectionId: string): void;
}

const providers = new WeakMap<object, AdapterProvider>();

/**
 * The one provider of a worker's activities: every activity module shares its adapter cache,
 * so OAuth tokens, zone lookups and identity reads are paid once per connection, not per module.
 */
export function adapterProviderFor(deps: { db: Db; keys: KeyRing; psa: PsaRuntimeOptions }): AdapterProvider {
  let provider = providers.get(deps);
  if (!provider) {
    provider = createAdapterProvider(deps.db, deps.keys, deps.psa);
    providers.set(deps, provider);
  }
  return provider;
}

export function createAdapterProvider(db: Db, keys: KeyRing, opts: PsaRuntimeOptions): AdapterProvider {
  // Cached per connection and credentials version, so OAuth tokens and governors are reused.
  const cache = new Map<string, { version: string; adapter: Promise<PsaAdapter> }>();
  async function forRow(connection: AdapterRow | undefined, options: { allowUnhealthy?: boolean } = {}): Promise<PsaAdapter> {
    if (!connection || connection.status === 'revoked' || !connection.credentials) throw new NotFound('PSA connection');
    if (connection.health === 'unhealthy' && !options.allowUnhealthy) throw new ConnectionUnhealthyError(connection.healthReason);
    const connectionId = connection.id;
    const version = `${connection.credentialsKeyId}:${connection.updatedAt.getTime()}`;
    let entry = cache.get(connectionId);
    if (!entry || entry.version !== version) {
      const credentials = openCredentials(keys, connectionId, connection.credentials);
      const adapter = adapterForCredentials(connection.psa, credentials, connectionId, opts);
      adapter.catch(() => cache.delete(connectionId));
      entry = { version, adapter };
      cache.set(connectionId, entry);
    }
    return entry.adapter;
  }
  return {
    async forConnection(connectionId, options = {}) {
      const connection = await findConnection(db, connectionId);
      const adapter = await forRow(connection, options);
      return { adapter, connection: connection as Connection };
    },
    forRow,
    invalidate(connectionId) {
      cache.delete(connectionId);
    },
  };
}
