/**
 * Temporal Server on PostgreSQL, from the binaries scripts/setup-temporal-server.sh builds:
 * the two databases created and migrated with the server's own SQL tool (its embedded
 * `postgres12` schemas), the server started with a config rendered from the topology, and the
 * namespace and psa-sync's search attributes registered in SQL visibility.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { Pool } from 'pg';
import { stringify } from 'yaml';
import { DatabaseUnreachableError } from '../../db/connect';
import { registerSearchAttributes } from '../../worker/register-search-attributes';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { PROJECT_ROOT } from '../temporal-dev-server';
import { startSupervised, type Supervised } from './child-process';
import { DYNAMIC_CONFIG_FILE, TOPOLOGY, temporalServerConfig, type TemporalPorts } from './topology';

const run = promisify(execFile);

export interface TemporalBinaries {
  server: string;
  sqlTool: string;
}

export class TemporalServerMissingError extends Error {
  constructor(missing: string) {
    super(`Temporal Server binary not found at ${missing}. Run \`bash scripts/setup-temporal-server.sh\` (builds it with Go).`);
    this.name = 'TemporalServerMissingError';
  }
}

export function temporalBinaries(env: NodeJS.ProcessEnv = process.env): TemporalBinaries {
  const bin = path.join(PROJECT_ROOT, '.tools', 'bin');
  const found = { server: env.TEMPORAL_SERVER_PATH || path.join(bin, 'temporal-server'), sqlTool: env.TEMPORAL_SQL_TOOL_PATH || path.join(bin, 'temporal-sql-tool') };
  for (const file of [found.server, found.sqlTool]) if (!fs.existsSync(file)) throw new TemporalServerMissingError(file);
  return found;
}

export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

/**
 * Creates Temporal's two databases when missing and brings their schemas to the version the
 * server expects. Safe to run again: setup skips a schema that exists, update applies only
 * missing versions.
 */
export async function setupTemporalSchema(pg: PostgresEndpoint, binaries: TemporalBinaries = temporalBinaries(), progress: (line: string) => void = () => undefined): Promise<void> {
  const t = TOPOLOGY.temporal;
  const env = { ...process.env, SQL_PLUGIN: t.sqlPlugin, SQL_HOST: pg.host, SQL_PORT: String(pg.port), SQL_USER: pg.user, SQL_PASSWORD: pg.password };
  const tool = (database: string, ...args: string[]) => run(binaries.sqlTool, ['--db', database, ...args], { env, maxBuffer: 16 * 1024 * 1024 });
  for (const [database, schema] of [
    [t.database, t.schema],
    [t.visibilityDatabase, t.visibilitySchema],
  ] as const) {
    if (await databaseExists(pg, database)) {
      progress(`database ${database} exists`);
    } else {
      try {
        await tool(database, 'create-database');
        progress(`created database ${database}`);
      } catch (err) {
        // Another launcher may have created it meanwhile.
        if (!/already exists/i.test(String((err as { stderr?: string }).stderr ?? err))) throw schemaError(database, 'create-database', err);
      }
    }
    try {
      await tool(database, 'setup-schema', '-v', '0.0');
      await tool(database, 'update-schema', '--schema-name', schema);
    } catch (err) {
      throw schemaError(database, 'schema update', err);
    }
    progress(`schema ${schema} is up to date in ${database}`);
  }
}

async function databaseExists(pg: PostgresEndpoint, database: string): Promise<boolean> {
  const pool = new Pool({ host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: 'postgres', max: 1 });
  try {
    return ((await pool.query('select 1 from pg_database where datname = $1', [database])).rowCount ?? 0) > 0;
  } catch (err) {
    throw new DatabaseUnreachableError(`postgres://${pg.user}@${pg.host}:${pg.port}/postgres`, err);
  } finally {
    await pool.end();
  }
}

function schemaError(database: string, step: string, err: unknown): Error {
  const e = err as { stderr?: string; message?: string };
  const detail = (e.stderr || e.message || String(err)).trim().split('\n').slice(-5).join('\n');
  return new Error(`temporal-sql-tool ${step} failed for ${database}:\n${detail}`);
}

export interface TemporalServerOptions {
  postgres: PostgresEndpoint;
  ports: TemporalPorts;
  /** Holds the rendered config file and the server log. */
  workDir: string;
  binaries?: TemporalBinaries;
  readyTimeoutMs?: number;
}

export interface RunningTemporalServer {
  address: string;
  process: Supervised;
  logFile: string;
  stop(): Promise<void>;
}

export async function startTemporalServer(opts: TemporalServerOptions): Promise<RunningTemporalServer> {
  const binaries = opts.binaries ?? temporalBinaries();
  const configDir = path.join(opts.workDir, 'config');
  fs.mkdirSync(configDir, { recursive: true });
  fs.writeFileSync(
    path.join(configDir, 'cluster.yaml'),
    `# Rendered by infra/cluster/topology.ts for this run; do not edit.\n${stringify(temporalServerConfig({ postgres: opts.postgres, ports: opts.ports, dynamicConfigPath: DYNAMIC_CONFIG_FILE }))}`,
  );
  const logFile = path.join(opts.workDir, 'temporal-server.log');
  const server = startSupervised({
    name: 'temporal-server',
    command: binaries.server,
    args: ['--root', opts.workDir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'],
    cwd: opts.workDir,
    logFile,
  });
  const address = `127.0.0.1:${opts.ports.frontend}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (!server.isRunning()) throw new Error(`Temporal Server ${await server.exited} before it was ready; its log (${logFile}):\n${tailOf(logFile)}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await conn.workflowService.getSystemInfo({});
        // The frontend answers before the cluster has joined; a namespace list proves persistence works.
        await conn.workflowService.listNamespaces({ pageSize: 1 });
      } finally {
        await conn.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`Temporal Server on ${address} not ready in time (${(err as Error).message}); its log (${logFile}):\n${tailOf(logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return { address, process: server, logFile, stop: () => server.stop(20_000) };
}

function tailOf(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * The namespace (a server on a fresh database has none but the system one) and our search
 * attributes, which SQL visibility maps onto its pre-allocated Keyword columns. Returns once
 * a workflow carrying every attribute is accepted, so workers never race the server's caches.
 */
export async function prepareNamespace(address: string, progress: (line: string) => void = () => undefined): Promise<void> {
  const namespace = TOPOLOGY.namespace;
  const conn = await Connection.connect({ address });
  try {
    try {
      await conn.workflowService.describeNamespace({ namespace });
    } catch (err) {
      if ((err as { code?: number }).code !== 5 /* NOT_FOUND */) throw err;
      await conn.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${TOPOLOGY.retentionDays}d`) });
      progress(`registered namespace ${namespace} (retention ${TOPOLOGY.retentionDays} days)`);
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const added = await registerSearchAttributes(conn, namespace);
        if (added.length) progress(`registered search attributes ${added.join(', ')}`);
        await probeSearchAttributes(conn, namespace);
        return;
      } catch (err) {
        // A namespace just registered, or attributes just added, reach the server's caches within seconds.
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await conn.close();
  }
}

/** Starts (and at once terminates and deletes) a run that carries every search attribute; throws while one is unknown. */
async function probeSearchAttributes(conn: Connection, namespace: string): Promise<void> {
  const workflowId = `psa-sync-search-attribute-probe-${process.pid}-${Date.now()}`;
  const payload = (value: string) => ({
    metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') },
    data: Buffer.from(JSON.stringify(value)),
  });
  const started = await conn.workflowService.startWorkflowExecution({
    namespace,
    workflowId,
    workflowType: { name: 'searchAttributeProbe' },
    taskQueue: { name: `${TOPOLOGY.taskQueue}-probe` },
    requestId: workflowId,
    searchAttributes: { indexedFields: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, payload('probe')])) },
  });
  const execution = { workflowId, runId: started.runId };
  await conn.workflowService.terminateWorkflowExecution({ namespace, workflowExecution: execution, reason: 'search attribute probe' });
  await conn.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: execution }).catch(() => undefined);
}
