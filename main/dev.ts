/**
 * `npm start`: the whole system on one machine with embedded defaults, as separate processes
 * under this launcher:
 *  - a Temporal dev server (SQLite in .data/temporal.db or TEMPORAL_DEV_DB, Web UI on
 *    TEMPORAL_UI_PORT) unless TEMPORAL_ADDRESS names a server already running (TEMPORAL_DEV_SERVER
 *    decides either way when set);
 *  - the database in DATABASE_URL, created and migrated (here, before anything starts);
 *  - the worker (`worker/main.ts`) and the HTTP API (`api/main.ts`), each its own process.
 *
 * The launcher supervises all three: when one exits unexpectedly it says so loudly and starts
 * it again (the others keep running; the worker and API reconnect to a restarted server); one
 * that keeps exiting stops everything with a non-zero exit. A crash in the API cannot take the
 * worker's running activities with it, nor the other way round. Ctrl-C stops the API first,
 * then drains the worker, then stops the server. Children leave by themselves if the launcher
 * dies (their IPC channel closes).
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { workerNodeArgs, workerProcessEnvironment } from '../infra/cluster/topology';
import type { Connection } from '@temporalio/client';
import { ConfigError, devServerWanted, loadConfig, simulatorsWanted } from '../config/env';
import { DatabaseUnreachableError, ensureDatabase, createDb } from '../db/connect';
import { migrateToLatest } from '../db/migrator';
import { keyRingFrom } from '../infra/runtime';
import { PROJECT_ROOT, startDevServer, TemporalCliMissingError, type DevServer, type DevServerOptions } from '../infra/temporal-dev-server';
import { createTemporalClient } from '../client/temporal';
import { registerSearchAttributes } from '../worker/register-search-attributes';
import { readyMessage, Supervised } from './supervisor';
import { loadTryTenant, TRY_TENANT } from './try-tenant';

const step = (msg: string) => console.log(`psa-sync: ${msg}`);

/** The try-it steps, in order (main/try.ts). */
const TRY_COMMANDS = ['connect halopsa', 'import halopsa', 'alert raise', 'alert recover', 'status'];

/** The dev server, started again on the same port and SQLite file when it dies. */
class SupervisedDevServer {
  private server: DevServer | null = null;
  private stopping = false;
  private crashes: number[] = [];

  constructor(
    private readonly options: DevServerOptions,
    private readonly onGiveUp: (reason: string) => void,
  ) {}

  get address(): string {
    return (this.server as DevServer).address;
  }

  get uiUrl(): string | null {
    return this.server?.uiUrl ?? null;
  }

  async start(): Promise<void> {
    const server = await startDevServer(this.options);
    this.server = server;
    server.process.once('exit', (code, signal) => void this.onExit(server, signal ?? code));
  }

  private async onExit(server: DevServer, how: string | number | null): Promise<void> {
    if (this.stopping || server !== this.server) return;
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < 120_000), now];
    if (this.crashes.length >= 5) {
      step(`!!! Temporal dev server exited with ${how} — 5 times in a short while; giving up`);
      return this.onGiveUp('the Temporal dev server keeps exiting');
    }
    step(`!!! Temporal dev server exited with ${how} — starting it again (its history is kept)`);
    try {
      await this.start();
      step('Temporal dev server running again');
    } catch (err) {
      step(`!!! Temporal dev server did not come back: ${err instanceof Error ? err.message : String(err)}`);
      this.onGiveUp('the Temporal dev server did not restart');
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.server?.stop();
  }
}

/** A TypeScript entrypoint as a child process, with the loader this launcher runs under (tsx). */
function forkEntry(relative: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): ChildProcess {
  // Own process group: Ctrl-C reaches only the launcher, which stops the children in order.
  return fork(path.join(PROJECT_ROOT, relative), [], { execArgv: [...nodeArgs, ...process.execArgv], env, detached: true });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const externalTemporal = !devServerWanted(config, process.env);
  const devDb = config.TEMPORAL_DEV_DB ? path.resolve(config.TEMPORAL_DEV_DB) : path.join(PROJECT_ROOT, '.data', 'temporal.db');

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
  // Made once here, so the worker and the API share the development key.
  keyRingFrom(config);

  let stopping: Promise<void> | null = null;
  const parts: { stop(): Promise<void> }[] = [];
  const stop = (code: number) => {
    stopping ??= (async () => {
      step('stopping');
      // In order: no new requests, then the worker drains, then the server goes.
      for (const part of parts) await part.stop().catch(() => undefined);
      step('stopped');
      process.exit(code);
    })();
    return stopping;
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  const giveUp = (reason: string) => {
    console.error(`psa-sync: ${reason}; stopping everything`);
    void stop(1);
  };

  let address = config.TEMPORAL_ADDRESS;
  let devServer: SupervisedDevServer | null = null;
  const apiBase = `http://${config.API_HOST}:${config.API_PORT}`;
  if (!externalTemporal) {
    step(`starting Temporal dev server (SQLite in ${devDb.startsWith(`${PROJECT_ROOT}${path.sep}`) ? path.relative(PROJECT_ROOT, devDb) : devDb})`);
    devServer = new SupervisedDevServer(
      {
        port: Number(config.TEMPORAL_ADDRESS.split(':')[1] ?? 7233),
        uiPort: config.TEMPORAL_UI_PORT,
        dbFile: devDb,
        ownProcessGroup: true,
        namespace: config.TEMPORAL_NAMESPACE,
        codecEndpoint: `${apiBase}/codec/t/${config.CODEC_AUTH_TOKEN}`,
        logFile: path.join(path.dirname(devDb), 'temporal.log'),
      },
      giveUp,
    );
    await devServer.start();
    address = devServer.address;
  } else {
    const temporal = await createTemporalClient({ address, namespace: config.TEMPORAL_NAMESPACE, keys: keyRingFrom(config) });
    const added = await registerSearchAttributes(temporal.connection as Connection, config.TEMPORAL_NAMESPACE);
    await temporal.connection.close();
    if (added.length) step(`registered search attributes ${added.join(', ')}`);
  }

  let env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: address };
  if (simulatorsWanted(config)) {
    step('starting the PSA simulators (DEV_SIMULATORS=false to skip)');
    const simEnv = { ...env, SIM_CONNECTWISE_PORT: String(config.SIM_CONNECTWISE_PORT), SIM_AUTOTASK_PORT: String(config.SIM_AUTOTASK_PORT), SIM_HALOPSA_PORT: String(config.SIM_HALOPSA_PORT) };
    const sims = new Supervised({ name: 'simulators', spawn: () => forkEntry('sims/main.ts', simEnv), ready: readyMessage, say: step, onGiveUp: giveUp });
    await sims.start();
    parts.push({ stop: () => sims.stop('SIGTERM') });
    // The simulators live on loopback over http (ConnectWise: https with a test CA).
    env = {
      ...env,
      PSA_ALLOW_PRIVATE_NETWORKS: 'true',
      PSA_ALLOW_HTTP: 'true',
      PSA_EXTRA_CA_FILE: path.join(PROJECT_ROOT, '.data', 'sims', 'connectwise-ca.pem'),
      AUTOTASK_ZONE_URL: `http://127.0.0.1:${config.SIM_AUTOTASK_PORT}`,
    };
  }
  const worker = new Supervised({ name: 'worker', spawn: () => forkEntry('worker/main.ts', { ...env, ...workerProcessEnvironment() }, workerNodeArgs()), ready: readyMessage, say: step, onGiveUp: giveUp });
  const api = new Supervised({ name: 'API', spawn: () => forkEntry('api/main.ts', env), ready: readyMessage, say: step, onGiveUp: giveUp });
  // Stopped in this order (the simulators, pushed above, go last but the server); the worker gets
  // SIGINT, which the SDK takes as "drain and exit".
  parts.unshift({ stop: () => api.stop('SIGTERM') }, { stop: () => worker.stop('SIGINT', 30_000) });
  if (devServer) parts.push(devServer);

  step('starting the worker and the API');
  await Promise.all([worker.start(), api.start()]);

  console.log('');
  console.log(`  API          ${apiBase}   (OpenAPI: ${apiBase}/openapi.json)`);
  console.log(`  Temporal     ${address}   namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE}`);
  if (devServer?.uiUrl) console.log(`  Web UI       ${devServer.uiUrl}`);
  if (simulatorsWanted(config)) {
    console.log(`  Simulators   ConnectWise https://127.0.0.1:${config.SIM_CONNECTWISE_PORT} · Autotask http://127.0.0.1:${config.SIM_AUTOTASK_PORT} · HaloPSA http://127.0.0.1:${config.SIM_HALOPSA_PORT}`);
  }
  console.log('');
  if (simulatorsWanted(config)) {
    // A small tenant to try things with, loaded like the platform would (fixed versions: a restart changes nothing).
    const counts = await loadTryTenant(apiBase, config.API_TOKENS[0] as string);
    step(`try-it tenant "${TRY_TENANT.partnerName}" ${counts.applied ? `loaded (${counts.applied} record(s))` : 'already loaded'}`);
    console.log('');
    console.log('  Try it (in another terminal, in this order):');
    for (const command of TRY_COMMANDS) console.log(`    npm run try -- ${command}`);
    console.log('  (import <psa> --create-unmatched also creates the organizations no PSA company matches, with their billing objects)');
    if (devServer?.uiUrl) console.log(`  The runs appear in the Web UI: ${devServer.uiUrl}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`);
    console.log('');
  }
  step('running — press Ctrl-C to stop');
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof DatabaseUnreachableError || err instanceof TemporalCliMissingError) {
    console.error(`psa-sync: ${err.message}`);
  } else {
    console.error('psa-sync: failed to start:', err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
