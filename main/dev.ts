/**
 * `npm start`: the whole system on one machine with embedded defaults.
 *  - a Temporal dev server (SQLite in .data/temporal.db, Web UI on TEMPORAL_UI_PORT) unless
 *    TEMPORAL_ADDRESS names a server already running;
 *  - the database in DATABASE_URL, created and migrated;
 *  - the worker and the HTTP API in this process.
 * Ctrl-C stops all of it.
 */
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from '../config/env';
import { DatabaseUnreachableError, ensureDatabase, createDb } from '../db/connect';
import { migrateToLatest } from '../db/migrator';
import { createLogger } from '../infra/logger';
import { installSdkRuntime } from '../infra/sdk-runtime';
import { keyRingFrom, openDatabase, psaOptionsFrom } from '../infra/runtime';
import { PROJECT_ROOT, startDevServer, TemporalCliMissingError, type DevServer } from '../infra/temporal-dev-server';
import { createTemporalClient } from '../client/temporal';
import { createWorker } from '../worker/create-worker';
import { registerSearchAttributes } from '../worker/register-search-attributes';
import { buildRoutes } from '../api/app';
import { ApiServer } from '../api/server';

const step = (msg: string) => console.log(`psa-sync: ${msg}`);

async function main(): Promise<void> {
  const externalTemporal = Boolean(process.env.TEMPORAL_ADDRESS);
  const config = loadConfig();
  installSdkRuntime(config.LOG_LEVEL);
  const log = createLogger('psa-sync', config.LOG_LEVEL);

  step(`database ${config.DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}`);
  await ensureDatabase(config.DATABASE_URL);
  const migrationDb = createDb(config.DATABASE_URL, 1);
  try {
    const result = await migrateToLatest(migrationDb);
    const applied = result.results?.filter((r) => r.status === 'Success').length ?? 0;
    step(applied ? `applied ${applied} migration(s)` : 'schema is up to date');
  } finally {
    await migrationDb.destroy();
  }
  const db = await openDatabase(config);
  const keys = keyRingFrom(config);

  let devServer: DevServer | null = null;
  let address = config.TEMPORAL_ADDRESS;
  const apiBase = `http://${config.API_HOST}:${config.API_PORT}`;
  if (!externalTemporal) {
    step('starting Temporal dev server (SQLite in .data/temporal.db)');
    devServer = await startDevServer({
      port: Number(config.TEMPORAL_ADDRESS.split(':')[1] ?? 7233),
      uiPort: config.TEMPORAL_UI_PORT,
      dbFile: path.join(PROJECT_ROOT, '.data', 'temporal.db'),
      namespace: config.TEMPORAL_NAMESPACE,
      codecEndpoint: `${apiBase}/codec/t/${config.CODEC_AUTH_TOKEN}`,
      logFile: path.join(PROJECT_ROOT, '.data', 'temporal.log'),
    });
    address = devServer.address;
    const child = devServer.process;
    // Never leave the server behind, whatever way this process ends.
    process.once('exit', () => child.kill('SIGTERM'));
  }
  const temporal = await createTemporalClient({ address, namespace: config.TEMPORAL_NAMESPACE, keys });
  if (externalTemporal) {
    const added = await registerSearchAttributes(temporal.connection as Connection, config.TEMPORAL_NAMESPACE);
    if (added.length) step(`registered search attributes ${added.join(', ')}`);
  }

  const psa = psaOptionsFrom(config);
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: { db, keys, psa, log, temporal, publicBaseUrl: config.PUBLIC_BASE_URL, platformCallbackUrl: config.PLATFORM_CALLBACK_URL ?? null },
  });
  const workerRun = worker.run();

  const uiOrigins = [`http://127.0.0.1:${config.TEMPORAL_UI_PORT}`, `http://localhost:${config.TEMPORAL_UI_PORT}`];
  const api = new ApiServer({
    db,
    routes: buildRoutes({ db, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, keys, config, psa, log }),
    platformTokens: config.API_TOKENS,
    log,
    corsOrigins: uiOrigins,
  });
  const apiUrl = await api.listen(config.API_PORT, config.API_HOST);

  console.log('');
  console.log(`  API          ${apiUrl}   (OpenAPI: ${apiUrl}/openapi.json)`);
  console.log(`  Temporal     ${address}   namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE}`);
  if (devServer?.uiUrl) console.log(`  Web UI       ${devServer.uiUrl}`);
  console.log('');
  step('running — press Ctrl-C to stop');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    step('stopping');
    await api.close();
    // The SDK already begins draining on SIGINT/SIGTERM; only ask when it has not.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun.catch(() => undefined);
    await nativeConnection.close();
    await temporal.connection.close();
    await db.destroy();
    await devServer?.stop();
    step('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await workerRun.catch(async (err) => {
    console.error(`psa-sync: worker stopped: ${err instanceof Error ? err.message : err}`);
    await stop();
  });
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof DatabaseUnreachableError || err instanceof TemporalCliMissingError) {
    console.error(`psa-sync: ${err.message}`);
  } else {
    console.error('psa-sync: failed to start:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
