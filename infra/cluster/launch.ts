/**
 * Runs the topology (infra/cluster/topology.ts) on this machine, step by step in its order:
 * Temporal's schema on PostgreSQL, Temporal Server, the namespace and search attributes, the
 * app database's migrations, N worker processes (worker/main.ts) and the API (api/main.ts).
 * `npm run start:cluster`, the cluster test tier and bench/storm all start the system here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createDb, ensureDatabase } from '../../db/connect';
import { migrateToLatest } from '../../db/migrator';
import { bundleWorkflows } from '../../worker/create-worker';
import { PROJECT_ROOT } from '../temporal-dev-server';
import { startNodeEntry, type Supervised } from './child-process';
import { ownedTempDir } from './temp-dirs';
import { prepareNamespace, setupTemporalSchema, startTemporalServer, temporalBinaries, type PostgresEndpoint, type RunningTemporalServer } from './temporal-server';
import { freeLowPort } from './ports';
import { appEnvironment, topologySteps, workerEnvironment, workerNodeArgs, workerProcessEnvironment, type TemporalPorts, type WorkerMetricsPorts } from './topology';

export interface ClusterOptions {
  /** Where Temporal's two databases live (created and migrated here). */
  postgres: PostgresEndpoint;
  /** The app's database (created and migrated here). */
  databaseUrl: string;
  temporalPorts: TemporalPorts;
  apiPort: number;
  apiHost?: string;
  /** How browsers and PSA webhooks reach the API; http://<apiHost>:<apiPort> when omitted. */
  publicBaseUrl?: string;
  workers?: number;
  /** Config file, logs and the prebuilt workflow bundle. */
  workDir: string;
  /** Extra environment for the worker and API processes (keys, PSA URL policy, secrets). */
  env?: Record<string, string>;
  /**
   * Worker i's metrics ports; free loopback ports when omitted (tests and benchmarks run beside
   * other stacks), the topology's for `npm run start:cluster`.
   */
  workerMetricsPorts?: (index: number) => WorkerMetricsPorts;
  /** Another worker entry point (module path), e.g. one that lifts the vendors' rate budgets for a benchmark. */
  workerEntry?: string;
  /** Progress lines; `[service] line` for the processes' own output when `echoOutput` is set. */
  log?: (line: string) => void;
  echoOutput?: boolean;
}

export interface WorkerSlot {
  service: string;
  process: Supervised | null;
  /** Where this worker serves its Prometheus metrics (kept across restarts). */
  metricsUrl: string;
  env: Record<string, string>;
}

export interface RunningCluster {
  temporalAddress: string;
  apiUrl: string;
  temporal: RunningTemporalServer;
  workers: WorkerSlot[];
  api: Supervised;
  /** The environment the worker and API processes got. */
  env: Record<string, string>;
  /** SIGKILL worker `i` (0-based); it stays down until startWorker(i). */
  killWorker(i: number): Promise<void>;
  startWorker(i: number): Promise<void>;
  /** API and workers first (SIGTERM: workers drain), then the server. */
  stop(): Promise<void>;
  /** SIGKILL for the API and workers (nothing to drain: tests are done with them), then the server. */
  kill(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const log = opts.log ?? (() => undefined);
  const steps = topologySteps(opts.workers);
  const binaries = temporalBinaries();
  fs.mkdirSync(opts.workDir, { recursive: true });
  const apiHost = opts.apiHost ?? '127.0.0.1';
  const apiUrl = `http://${apiHost}:${opts.apiPort}`;

  let temporal: RunningTemporalServer | null = null;
  const workers: WorkerSlot[] = [];
  let api: Supervised | null = null;
  let env: Record<string, string> = {};
  let bundleFile: string | null = null;
  const workersStarting: Promise<void>[] = [];
  const workerEntry = opts.workerEntry ?? path.join(PROJECT_ROOT, 'worker/main.ts');

  const stopAll = async () => {
    await api?.stop();
    await Promise.all(workers.map((w) => w.process?.stop(30_000)));
    await temporal?.stop();
  };

  const spawnNode = (service: string, entry: string, ready: RegExp | null, own: Record<string, string> = {}, nodeArgs: string[] = []) =>
    startNodeEntry({
      name: service,
      entry,
      cwd: PROJECT_ROOT,
      nodeArgs,
      env: { ...process.env, ...env, ...own },
      ready,
      onLine: opts.echoOutput ? (line) => log(`[${service}] ${line}`) : undefined,
    });

  try {
    for (const step of steps) {
      switch (step.kind) {
        case 'postgres':
          // Reachability is proven by the schema step right after; the caller provides the server.
          log(`${step.service}: ${opts.postgres.host}:${opts.postgres.port}`);
          break;
        case 'temporal-schema':
          await setupTemporalSchema(opts.postgres, binaries, (line) => log(`${step.service}: ${line}`));
          break;
        case 'temporal':
          log(`${step.service}: starting Temporal Server on 127.0.0.1:${opts.temporalPorts.frontend}`);
          temporal = await startTemporalServer({ postgres: opts.postgres, ports: opts.temporalPorts, workDir: opts.workDir, binaries });
          log(`${step.service}: ready (log ${temporal.logFile})`);
          break;
        case 'temporal-namespace':
          await prepareNamespace((temporal as RunningTemporalServer).address, (line) => log(`${step.service}: ${line}`));
          break;
        case 'temporal-ui':
          // Compose runs the UI image; no standalone UI binary is built here (`npm start` has the dev server's UI).
          log(`${step.service}: not run locally (the Web UI comes with \`npm start\`'s dev server)`);
          break;
        case 'migrate': {
          await ensureDatabase(opts.databaseUrl);
          const db = createDb(opts.databaseUrl, 1);
          try {
            const result = await migrateToLatest(db);
            if (result.error) throw result.error;
            const applied = result.results?.filter((r) => r.status === 'Success').length ?? 0;
            log(`${step.service}: ${applied ? `applied ${applied} migration(s)` : 'schema is up to date'}`);
          } finally {
            await db.destroy();
          }
          env = appEnvironment(
            { databaseUrl: opts.databaseUrl, temporalAddress: (temporal as RunningTemporalServer).address, apiHost, publicBaseUrl: opts.publicBaseUrl ?? apiUrl },
            { ...opts.env, API_PORT: String(opts.apiPort) },
          );
          break;
        }
        case 'worker': {
          if (!bundleFile) {
            // Bundled once and handed to every worker, so each starts (and restarts) in about a second.
            log('workers: bundling workflows');
            bundleFile = path.join(opts.workDir, 'workflows.js');
            fs.writeFileSync(bundleFile, (await bundleWorkflows()).code);
            env.WORKFLOW_BUNDLE_PATH = bundleFile;
          }
          const ports = opts.workerMetricsPorts?.(workers.length) ?? { metrics: await freeLowPort(), sdk: await freeLowPort() };
          const slot: WorkerSlot = { service: step.service, process: null, metricsUrl: `http://127.0.0.1:${ports.metrics}/metrics`, env: { ...workerEnvironment(ports, '127.0.0.1'), ...workerProcessEnvironment() } };
          workers.push(slot);
          // Workers start side by side; the next step that is not a worker waits for them all.
          workersStarting.push(
            spawnNode(step.service, workerEntry, /worker started/, slot.env, workerNodeArgs()).then((child) => {
              slot.process = child;
              log(`${step.service}: started (pid ${child.pid})`);
            }),
          );
          break;
        }
        case 'api':
          await Promise.all(workersStarting);
          api = await spawnNode(step.service, path.join(PROJECT_ROOT, 'api/main.ts'), null);
          await waitForHealth(apiUrl, api);
          log(`${step.service}: listening on ${apiUrl} (pid ${api.pid})`);
          break;
      }
    }
    await Promise.all(workersStarting);
  } catch (err) {
    await Promise.allSettled(workersStarting);
    await stopAll().catch(() => undefined);
    throw err;
  }

  return {
    temporalAddress: (temporal as RunningTemporalServer).address,
    apiUrl,
    temporal: temporal as RunningTemporalServer,
    workers,
    api: api as Supervised,
    env,
    async killWorker(i) {
      await workers[i]?.process?.kill();
    },
    async startWorker(i) {
      const slot = workers[i];
      if (!slot) throw new RangeError(`no worker ${i}`);
      if (slot.process?.isRunning()) return;
      slot.process = await spawnNode(slot.service, workerEntry, /worker started/, slot.env, workerNodeArgs());
    },
    stop: stopAll,
    async kill() {
      await Promise.all([api?.kill(), ...workers.map((w) => w.process?.kill())]);
      await temporal?.stop();
    },
  };
}

async function waitForHealth(apiUrl: string, api: Supervised, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!api.isRunning()) throw new Error(`psa-sync-api ended (${await api.exited}) before it answered`);
    try {
      const res = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`psa-sync-api did not answer on ${apiUrl}/healthz in time`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A fresh directory for one run's cluster files (removed by the next run if this one is killed). */
export function clusterWorkDir(label: string): string {
  return ownedTempDir(`psa-sync-${label}-`);
}
