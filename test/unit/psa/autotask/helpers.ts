/** Shared setup for the Autotask tests: a simulator per file, adapters built by the real factory, raw calls. */
import { randomUUID } from 'node:crypto';
import { autotaskFactory, type AutotaskCredentials } from '../../../../psa/autotask';
import type { GovernorLimits } from '../../../../psa/core/governor';
import type { PsaAdapter } from '../../../../psa/core/types';
import type { LogEntry } from '../../../../sims/common/server';
import { SEED_CREDENTIALS, startAutotaskSim, type AutotaskSim, type AutotaskSimOptions } from '../../../../sims/autotask';
import { LOOPBACK_POLICY } from '../harness/autotask';

export interface SimHandle {
  readonly sim: AutotaskSim;
  /** An adapter with the seeded credentials (overridable), its own governor key. */
  adapter(overrides?: Partial<AutotaskCredentials>, limits?: Partial<GovernorLimits>): Promise<PsaAdapter>;
  /** A raw request to `/ATServicesRest/V1.0/<path>` with the seeded headers (or `headers`). */
  raw(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; json: unknown }>;
}

export const AUTH_HEADERS: Record<string, string> = { ApiIntegrationCode: SEED_CREDENTIALS.integrationCode, UserName: SEED_CREDENTIALS.apiUser, Secret: SEED_CREDENTIALS.secret };

export function useAutotaskSim(options: AutotaskSimOptions = {}, resetEach = true): SimHandle {
  let sim: AutotaskSim | null = null;
  beforeAll(async () => {
    sim = await startAutotaskSim(options);
  });
  afterAll(() => sim?.close());
  if (resetEach) beforeEach(() => sim?.server.reset());
  const need = () => {
    if (!sim) throw new Error('simulator not started');
    return sim;
  };
  return {
    get sim() {
      return need();
    },
    adapter: (overrides = {}, limits) =>
      autotaskFactory.create(
        { ...SEED_CREDENTIALS, ...overrides },
        { connectionKey: `at-test-${randomUUID()}`, urlPolicy: LOOPBACK_POLICY, autotaskZoneLookupUrl: need().url, ...(limits ? { limits } : {}) },
      ),
    raw: async (method, path, body, headers = AUTH_HEADERS) => {
      const url = /^https?:/.test(path) ? path : `${need().url}/ATServicesRest/V1.0/${path}`;
      const res = await fetch(url, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as unknown) : null };
    },
  };
}

/** "METHOD /path" of each logged request, lower-cased, without the query; zone lookups excluded. */
export const apiCalls = (log: readonly LogEntry[]): string[] =>
  log.map((e) => `${e.method} ${e.path.toLowerCase().replace('/atservicesrest/v1.0', '')}`).filter((c) => !c.endsWith('/zoneinformation'));

export { caught } from '../harness/caught';
