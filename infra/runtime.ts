/** Turns typed config into the live dependencies the worker and the API share. */
import fs from 'node:fs';
import path from 'node:path';
import type { Env } from '../config/env';
import { createDb, DatabaseUnreachableError, type Db } from '../db/connect';
import { developmentKeyRing, KeyRing } from '../security/crypto';
import { pingDatabase } from '../db/repositories/system';
import type { PsaRuntimeOptions } from './psa-adapters';
import { PROJECT_ROOT } from './temporal-dev-server';

export function keyRingFrom(config: Env): KeyRing {
  if (config.ENCRYPTION_KEYS) return new KeyRing(config.ENCRYPTION_KEYS, config.ACTIVE_KEY_ID);
  return developmentKeyRing(path.join(PROJECT_ROOT, '.data'));
}

/**
 * Outside production the vendor-issued integration ids default to the ones the simulators have
 * registered, so a development deployment connects to them without configuration.
 */
const DEVELOPMENT_INTEGRATION_IDS = { connectwise: '3f2a9c4e-1b7d-4e8a-9c2f-5d6e7f8a9b0c', autotask: 'SIMTRACKINGIDENTIFIER000001' } as const;

export function psaOptionsFrom(config: Env): PsaRuntimeOptions {
  const fallback = config.NODE_ENV === 'production' ? {} : DEVELOPMENT_INTEGRATION_IDS;
  const connectwise = config.CONNECTWISE_CLIENT_ID ?? (fallback as { connectwise?: string }).connectwise;
  const autotask = config.AUTOTASK_INTEGRATION_CODE ?? (fallback as { autotask?: string }).autotask;
  return {
    integrationIds: { ...(connectwise ? { connectwise } : {}), ...(autotask ? { autotask } : {}) },
    urlPolicy: {
      allowHosts: config.PSA_ALLOW_HOSTS,
      allowPrivateNetworks: config.PSA_ALLOW_PRIVATE_NETWORKS,
      allowHttp: config.PSA_ALLOW_HTTP,
    },
    ...(config.PSA_EXTRA_CA_FILE ? { ca: fs.readFileSync(config.PSA_EXTRA_CA_FILE, 'utf8') } : {}),
    autotaskZoneLookupUrl: config.AUTOTASK_ZONE_URL,
  };
}

/** Opens the pool and proves the server answers, or throws DatabaseUnreachableError. */
export async function openDatabase(config: Env): Promise<Db> {
  const db = createDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  try {
    await pingDatabase(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw new DatabaseUnreachableError(config.DATABASE_URL, err);
  }
  return db;
}
