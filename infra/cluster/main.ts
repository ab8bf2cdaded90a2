/**
 * `npm run start:cluster [-- --workers N]`: the production topology on this machine — Temporal
 * Server on the local PostgreSQL (databases `temporal` and `temporal_visibility`), N worker
 * processes and the API, as docker-compose.yml runs them. A worker or the API that dies is
 * started again (compose's `restart: unless-stopped`). Ctrl-C stops everything.
 */
import path from 'node:path';
import { ConfigError, loadConfig } from '../../config/env';
import { DatabaseUnreachableError, safeUrl } from '../../db/connect';
import { PROJECT_ROOT } from '../temporal-dev-server';
import { startCluster, type RunningCluster } from './launch';
import { TemporalServerMissingError } from './temporal-server';
import { TOPOLOGY, temporalPortsFor, workerMetricsPorts } from './topology';

const say = (line: string) => console.log(`cluster: ${line}`);

function workersArg(argv: string[]): number {
  const i = argv.indexOf('--workers');
  if (i < 0) return TOPOLOGY.workers;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new ConfigError([`--workers: expected a whole number from 1 to 16, got ${JSON.stringify(argv[i + 1] ?? '')}`]);
  return n;
}

async function main(): Promise<void> {
  const workers = workersArg(process.argv);
  const config = loadConfig({ DATABASE_URL: `postgres://postgres@127.0.0.1:${TOPOLOGY.ports.postgres}/${TOPOLOGY.app.database}`, ...process.env });
  const db = new URL(config.DATABASE_URL);
  const postgres = { host: db.hostname, port: Number(db.port || 5432), user: decodeURIComponent(db.username || 'postgres'), password: decodeURIComponent(db.password) };
  say(`PostgreSQL ${safeUrl(config.DATABASE_URL)} (Temporal: ${TOPOLOGY.temporal.database}, ${TOPOLOGY.temporal.visibilityDatabase})`);

  let cluster: RunningCluster | null = null;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping: API, workers (draining), Temporal Server');
    await cluster?.stop();
    say('stopped');
    process.exit(code);
  };
  // `on`, not `once`: a second Ctrl-C must not cut the orderly stop short.
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  // Settings the user gave for the workers and API (keys, PSA policy, secrets) reach them through the environment.
  cluster = await startCluster({
    postgres,
    databaseUrl: config.DATABASE_URL,
    temporalPorts: temporalPortsFor(TOPOLOGY.ports.temporalFrontend),
    apiPort: TOPOLOGY.ports.api,
    workerMetricsPorts: (i) => workerMetricsPorts(i),
    publicBaseUrl: process.env.PUBLIC_BASE_URL || undefined,
    workers,
    workDir: path.join(PROJECT_ROOT, '.data', 'cluster'),
    log: say,
    echoOutput: true,
  });
  const running = cluster;

  // compose's `restart: unless-stopped` for the workers and the API; the server ending stops all.
  running.workers.forEach((slot, i) => {
    const watch = () =>
      void slot.process?.exited.then(async (how) => {
        if (stopping) return;
        say(`${slot.service} ended (${how}); starting it again`);
        await new Promise((r) => setTimeout(r, 1_000));
        if (stopping) return;
        await running.startWorker(i).then(watch, (err: Error) => say(`${slot.service} failed to start: ${err.message}`));
      });
    watch();
  });
  void running.api.exited.then((how) => {
    if (!stopping) {
      say(`psa-sync-api ended (${how})`);
      void stop(1);
    }
  });
  void running.temporal.process.exited.then((how) => {
    if (!stopping) {
      say(`Temporal Server ended (${how}); see ${running.temporal.logFile}`);
      void stop(1);
    }
  });

  console.log('');
  console.log(`  API          ${running.apiUrl}   (OpenAPI: ${running.apiUrl}/openapi.json)`);
  console.log(`  Temporal     ${running.temporalAddress}   namespace ${TOPOLOGY.namespace}, task queue ${TOPOLOGY.taskQueue}, PostgreSQL persistence`);
  console.log(`  Workers      ${running.workers.map((w) => `${w.service} (pid ${w.process?.pid})`).join(', ')}`);
  console.log(`  Metrics      ${running.apiUrl}/metrics, ${running.workers.map((w) => w.metricsUrl).join(', ')}`);
  console.log(`  Server log   ${running.temporal.logFile}`);
  console.log('');
  say('running — press Ctrl-C to stop');
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof DatabaseUnreachableError || err instanceof TemporalServerMissingError) {
    console.error(`cluster: ${err.message}`);
  } else {
    console.error('cluster: failed to start:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
