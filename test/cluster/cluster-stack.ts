/**
 * The production topology for tests and benchmarks: a private PostgreSQL (its own data
 * directory and port, so it can be restarted freely) holding Temporal's two databases and the
 * app database, Temporal Server on it, N worker processes and the API (infra/cluster/launch.ts),
 * and the three PSA simulators in this process. Everything is stopped and the data directory
 * removed by close(), also after a failure; child processes die with this process regardless.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import type { Db } from '../../db/connect';
import type { Database } from '../../db/schema';
import { clusterWorkDir, startCluster, type RunningCluster } from '../../infra/cluster/launch';
import { freeTemporalPorts } from '../../infra/cluster/ports';
import { startPrivatePostgres, type PrivatePostgres } from '../../infra/cluster/private-postgres';
import { TOPOLOGY } from '../../infra/cluster/topology';
import { freePort } from '../../infra/temporal-dev-server';
import { createTemporalClient } from '../../client/temporal';
import { startConnectWiseSim } from '../../sims/connectwise';
import { startAutotaskSim } from '../../sims/autotask';
import { startHaloPsaSim } from '../../sims/halopsa';
import type { KeyRing } from '../../security/crypto';
import type { Sims } from '../helpers/stack';

export interface ClusterStackOptions {
  label: string;
  keys: KeyRing;
  /** The ENCRYPTION_KEYS value the processes get (the same keys as `keys`). */
  encryptionKeys: string;
  workers?: number;
  /** Worker entry point; worker/main.ts when omitted. */
  workerEntry?: string;
  /** Simulator rate budgets; the vendors' own when omitted. */
  simRateLimit?: { maxRequests: number; windowMs: number };
  /** Extra environment for the worker and API processes. */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface ClusterStack {
  pg: PrivatePostgres;
  cluster: RunningCluster;
  sims: Sims;
  /** The app database, from this process. */
  db: Db;
  /** A client with psa-sync's data converter. */
  client: Client;
  workDir: string;
  close(): Promise<void>;
}

/**
 * The test's own view of the app database. PostgreSQL is restarted under it, and a pg client
 * that is checked out between two queries when its connection dies emits 'error' with no
 * listener, which would end this process; here every client gets one (the next query reconnects).
 */
function resilientDb(databaseUrl: string): Db {
  const pool = new Pool({ connectionString: databaseUrl, max: 5 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
}

export async function startClusterStack(opts: ClusterStackOptions): Promise<ClusterStack> {
  const workDir = clusterWorkDir(opts.label);
  const cleanup: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const pg = await startPrivatePostgres();
    cleanup.push(() => pg.destroy());
    const rate = opts.simRateLimit ? { rateLimit: opts.simRateLimit } : {};
    const [connectwise, autotask, halopsa] = await Promise.all([startConnectWiseSim(rate), startAutotaskSim(rate), startHaloPsaSim(rate)]);
    cleanup.push(() => Promise.all([connectwise.close(), autotask.close(), halopsa.close()]));
    const sims: Sims = { connectwise, autotask, halopsa };
    const caFile = path.join(workDir, 'connectwise-ca.pem');
    fs.writeFileSync(caFile, connectwise.ca);
    const databaseUrl = pg.url(TOPOLOGY.app.database);
    const cluster = await startCluster({
      postgres: { host: '127.0.0.1', port: pg.port, user: 'postgres', password: '' },
      databaseUrl,
      temporalPorts: await freeTemporalPorts(),
      apiPort: await freePort(),
      workers: opts.workers ?? TOPOLOGY.workers,
      workDir,
      workerEntry: opts.workerEntry,
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        ENCRYPTION_KEYS: opts.encryptionKeys,
        PSA_ALLOW_PRIVATE_NETWORKS: 'true',
        PSA_ALLOW_HTTP: 'true',
        PSA_ALLOW_HOSTS: '127.0.0.1,localhost',
        PSA_EXTRA_CA_FILE: caFile,
        AUTOTASK_ZONE_URL: autotask.url,
        ...opts.env,
      },
      log: opts.log,
    });
    cleanup.push(() => cluster.kill());
    const db = resilientDb(databaseUrl);
    cleanup.push(() => db.destroy());
    const client = await createTemporalClient({ address: cluster.temporalAddress, namespace: TOPOLOGY.namespace, keys: opts.keys });
    cleanup.push(() => client.connection.close());
    return { pg, cluster, sims, db, client, workDir, close };
  } catch (err) {
    await close();
    throw err;
  }
}
