/**
 * The whole system for end-to-end tests: the three PSA simulators on loopback, a worker on a
 * fresh task queue wired to them, the HTTP API, and a platform-side HTTP client. Everything
 * real: Temporal dev server (from global setup), PostgreSQL, HTTP.
 */
import type { Client } from '@temporalio/client';
import type { ActivityDeps, PsaRuntimeOptions } from '../../activities/deps';
import type { Db } from '../../db/connect';
import type { KeyRing } from '../../security/crypto';
import { ApiServer } from '../../api/server';
import { buildRoutes } from '../../api/app';
import { SEED_CREDENTIALS as CW_SEED, startConnectWiseSim } from '../../sims/connectwise';
import { SEED_CREDENTIALS as AT_SEED, startAutotaskSim } from '../../sims/autotask';
import { startHaloPsaSim } from '../../sims/halopsa';
import { createSeed as createCwSeed } from '../../sims/connectwise';
import { createSeed as createAtSeed } from '../../sims/autotask';
import { createSeed as createHaloSeed } from '../../sims/halopsa';
import { memoryLogger, testConfig, testDb, testKeys, uniqueTaskQueue } from './env';
import { temporalTestContext, type TemporalTestContext } from './temporal';

export type Sims = {
  connectwise: Awaited<ReturnType<typeof startConnectWiseSim>>;
  autotask: Awaited<ReturnType<typeof startAutotaskSim>>;
  halopsa: Awaited<ReturnType<typeof startHaloPsaSim>>;
};

export interface Stack {
  db: Db;
  temporal: TemporalTestContext;
  client: Client;
  taskQueue: string;
  sims: Sims;
  psa: PsaRuntimeOptions;
  deps: ActivityDeps;
  apiUrl: string;
  logLines: string[];
  /** Calls the API as a user (platform token + X-User-Id). */
  api(method: string, path: string, userId: string | null, body?: unknown): Promise<{ status: number; body: any }>;
  /** Stops and restarts the worker (crash tests kill it in between). */
  restartWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** The key ring for credentials and payloads; the replay recorders pass the fixtures' key. */
  keys?: KeyRing;
  /** Seed options of all three simulators (awkward company names, thousands of extra companies). */
  simSeed?: { awkwardCompanies?: boolean; extraCompanies?: number };
}

export async function startStack(label: string, opts: StackOptions = {}): Promise<Stack> {
  const config = testConfig();
  const db = testDb();
  const keys = opts.keys ?? testKeys();
  const temporal = await temporalTestContext(keys);
  const seed = opts.simSeed;
  const [connectwise, autotask, halopsa] = seed
    ? await Promise.all([startConnectWiseSim({ seed: () => createCwSeed(seed) }), startAutotaskSim({ seed: createAtSeed(seed) }), startHaloPsaSim({ seed: () => createHaloSeed(seed) })])
    : await Promise.all([startConnectWiseSim(), startAutotaskSim(), startHaloPsaSim()]);
  const sims: Sims = { connectwise, autotask, halopsa };
  const psa: PsaRuntimeOptions = {
    urlPolicy: { allowHosts: ['127.0.0.1', 'localhost'], allowPrivateNetworks: true, allowHttp: true },
    ca: connectwise.ca,
    autotaskZoneLookupUrl: autotask.url,
    timeoutMs: 5000,
    // The deployment's vendor-issued ids: the ones the simulators have registered.
    integrationIds: { connectwise: CW_SEED.clientId, autotask: AT_SEED.integrationCode },
  };
  const { log, lines } = memoryLogger(label);
  const taskQueue = uniqueTaskQueue(label);
  // The API is built first so the worker knows the URL PSA webhooks must reach.
  const routeDeps = { db, temporal: temporal.client, taskQueue, keys, config, psa, log };
  const server = new ApiServer({ db, routes: buildRoutes(routeDeps), platformTokens: config.API_TOKENS, log });
  const apiUrl = await server.listen(0);
  const deps: ActivityDeps = { db, keys, psa, log, temporal: temporal.client, publicBaseUrl: apiUrl, platformCallbackUrl: null };
  let worker = await temporal.startWorker(taskQueue, deps);
  const token = config.API_TOKENS[0] as string;
  return {
    db,
    temporal,
    client: temporal.client,
    taskQueue,
    sims,
    psa,
    deps,
    apiUrl,
    logLines: lines,
    async api(method, path, userId, body) {
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(userId ? { 'x-user-id': userId } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async restartWorker() {
      await worker.stop();
      worker = await temporal.startWorker(taskQueue, deps);
    },
    async stopWorker() {
      await worker.stop();
    },
    async close() {
      await server.close();
      await worker.stop();
      await Promise.all([connectwise.close(), autotask.close(), halopsa.close()]);
      await temporal.close();
      await db.destroy();
    },
  };
}
