/**
 * The production topology, written once: Temporal Server on PostgreSQL with its schema job and
 * namespace job, the Web UI, psa-sync's migrate job, N worker processes and the API, with the
 * settings each gets. `npm run start:cluster` runs it on this machine (infra/cluster/launch.ts)
 * and docker-compose.yml is generated from it (`npm run compose:generate`); a unit test fails
 * when the committed compose file differs from what this module renders.
 */
import path from 'node:path';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

export const TEMPORAL_SERVER_VERSION = '1.29.1';
/** The UI image tag for compose; locally the dev server's UI (CLI v1.5.1) is the same generation. */
export const TEMPORAL_UI_VERSION = '2.34.0';
export const POSTGRES_IMAGE = 'postgres:16';

/** Dynamic config shared by both: compose mounts this file, the local server reads it in place. */
export const DYNAMIC_CONFIG_FILE = path.resolve(__dirname, '../../docker/temporal/dynamicconfig.yaml');

export const TOPOLOGY = {
  namespace: 'default',
  /** How long closed runs stay visible (ops look back at a week of ticket runs). */
  retentionDays: 7,
  taskQueue: 'psa-sync',
  /** Worker processes: more than one, so a crashed worker's runs move on without waiting for its restart. */
  workers: 3,
  searchAttributes: ALL_SEARCH_ATTRIBUTES.map((k) => k.name),
  temporal: {
    sqlPlugin: 'postgres12',
    database: 'temporal',
    visibilityDatabase: 'temporal_visibility',
    schema: 'postgresql/v12/temporal',
    visibilitySchema: 'postgresql/v12/visibility',
    numHistoryShards: 4,
    maxConns: 20,
    visibilityMaxConns: 10,
  },
  ports: {
    temporalFrontend: 7233,
    temporalUi: 8233,
    api: 8080,
    postgres: 5432,
    /** Worker i (0-based) serves /metrics on this + 2i; its SDK exporter listens on loopback at this + 2i + 1. */
    workerMetricsBase: 9464,
  },
  /**
   * How every worker process is started (compose, the Dockerfile, `npm start`, the cluster
   * launcher, benchmarks). With 1,000 runs open a worker peaked at 354 MB by default; V8's young
   * generation capped at 2 MB semi-spaces and glibc held to two malloc arenas (one per core
   * instead of eight) brought it to 282 MB at the same throughput. A fast storm still reached
   * 359–383 MB: V8 lets each isolate's old generation (the main thread's and the workflow
   * thread's) grow far past what is live while memory is plentiful. A 192 MB old-generation
   * limit per isolate makes it collect sooner: 250–255 MB, same throughput. The live heap stays
   * far below it (the main thread's peaked at 68 MB with 1,000 runs open).
   */
  workerProcess: {
    nodeArgs: ['--max-semi-space-size=2', '--max-old-space-size=192'],
    env: { MALLOC_ARENA_MAX: '2' },
  },
  app: {
    database: 'psa_sync',
    /** Per process; workers × this + API + Temporal's pools stay well under PostgreSQL's 100. */
    databasePoolSize: 10,
  },
} as const;

/** Ports of one Temporal Server process (frontend, internal services, membership, metrics). */
export interface TemporalPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  pprof: number;
  metrics: number;
}

/** The server's internal ports for a given frontend port, laid out as the upstream sample config is. */
export function temporalPortsFor(frontend: number): TemporalPorts {
  return {
    frontend,
    frontendHttp: frontend + 10,
    frontendMembership: frontend - 300,
    history: frontend + 1,
    historyMembership: frontend - 299,
    matching: frontend + 2,
    matchingMembership: frontend - 298,
    worker: frontend + 6,
    workerMembership: frontend - 294,
    pprof: frontend + 703,
    metrics: frontend + 767,
  };
}

/**
 * Every step of the topology in start order: compose services are named after them, the
 * launcher runs them in this order. `after` is what must have finished (or be healthy) first.
 */
export type StepKind = 'postgres' | 'temporal-schema' | 'temporal' | 'temporal-namespace' | 'temporal-ui' | 'migrate' | 'worker' | 'api';
export interface Step {
  service: string;
  kind: StepKind;
  after: { service: string; condition: 'service_healthy' | 'service_completed_successfully' | 'service_started' }[];
}

export function topologySteps(workers: number = TOPOLOGY.workers): Step[] {
  const workerServices = Array.from({ length: workers }, (_, i) => `psa-sync-worker-${i + 1}`);
  return [
    { service: 'postgresql', kind: 'postgres', after: [] },
    { service: 'temporal-admin-tools', kind: 'temporal-schema', after: [{ service: 'postgresql', condition: 'service_healthy' }] },
    { service: 'temporal', kind: 'temporal', after: [{ service: 'temporal-admin-tools', condition: 'service_completed_successfully' }] },
    { service: 'temporal-create-namespace', kind: 'temporal-namespace', after: [{ service: 'temporal', condition: 'service_healthy' }] },
    { service: 'temporal-ui', kind: 'temporal-ui', after: [{ service: 'temporal', condition: 'service_healthy' }] },
    { service: 'psa-sync-migrate', kind: 'migrate', after: [{ service: 'postgresql', condition: 'service_healthy' }] },
    ...workerServices.map(
      (service): Step => ({
        service,
        kind: 'worker',
        after: [
          { service: 'temporal-create-namespace', condition: 'service_completed_successfully' },
          { service: 'psa-sync-migrate', condition: 'service_completed_successfully' },
        ],
      }),
    ),
    {
      service: 'psa-sync-api',
      kind: 'api',
      after: [
        { service: 'temporal-create-namespace', condition: 'service_completed_successfully' },
        { service: 'psa-sync-migrate', condition: 'service_completed_successfully' },
      ],
    },
  ];
}

/** Where the psa-sync processes find their dependencies. */
export interface AppEndpoints {
  databaseUrl: string;
  temporalAddress: string;
  /** The address the API binds to. */
  apiHost: string;
  /** How a browser reaches the API (the UI's codec endpoint, PSA webhooks). */
  publicBaseUrl: string;
}

/**
 * The environment of every psa-sync process (worker, API, migrate). Values that differ between
 * deployments (secrets, public URL) come from `secrets`; compose passes `${VAR}` references.
 */
export function appEnvironment(endpoints: AppEndpoints, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: endpoints.databaseUrl,
    DATABASE_POOL_SIZE: String(TOPOLOGY.app.databasePoolSize),
    TEMPORAL_ADDRESS: endpoints.temporalAddress,
    TEMPORAL_NAMESPACE: TOPOLOGY.namespace,
    TEMPORAL_TASK_QUEUE: TOPOLOGY.taskQueue,
    TEMPORAL_UI_PORT: String(TOPOLOGY.ports.temporalUi),
    API_HOST: endpoints.apiHost,
    API_PORT: String(TOPOLOGY.ports.api),
    PUBLIC_BASE_URL: endpoints.publicBaseUrl,
    ...extra,
  };
}

/** Worker `index`'s metrics ports: its /metrics endpoint, and the Temporal SDK's exporter behind it. */
export interface WorkerMetricsPorts {
  metrics: number;
  sdk: number;
}

export function workerMetricsPorts(index: number, base: number = TOPOLOGY.ports.workerMetricsBase): WorkerMetricsPorts {
  return { metrics: base + 2 * index, sdk: base + 2 * index + 1 };
}

/** Node's arguments for a worker process, before its entry point. */
export function workerNodeArgs(): string[] {
  return [...TOPOLOGY.workerProcess.nodeArgs];
}

/** The process settings every worker gets in its environment, whoever starts it. */
export function workerProcessEnvironment(): Record<string, string> {
  return { ...TOPOLOGY.workerProcess.env };
}

/** What a worker process gets beside appEnvironment: where it serves its metrics. */
export function workerEnvironment(ports: WorkerMetricsPorts, metricsHost: string): Record<string, string> {
  return { METRICS_HOST: metricsHost, METRICS_PORT: String(ports.metrics), SDK_METRICS_PORT: String(ports.sdk) };
}

/** The Temporal server's settings that the compose image takes as environment variables. */
export function temporalServerEnvironment(postgres: { host: string; port: number; user: string; password: string }, dynamicConfigPath: string): Record<string, string> {
  const t = TOPOLOGY.temporal;
  return {
    DB: t.sqlPlugin,
    DB_PORT: String(postgres.port),
    POSTGRES_SEEDS: postgres.host,
    POSTGRES_USER: postgres.user,
    POSTGRES_PWD: postgres.password,
    DBNAME: t.database,
    VISIBILITY_DBNAME: t.visibilityDatabase,
    NUM_HISTORY_SHARDS: String(t.numHistoryShards),
    SQL_MAX_CONNS: String(t.maxConns),
    SQL_VIS_MAX_CONNS: String(t.visibilityMaxConns),
    DYNAMIC_CONFIG_FILE_PATH: dynamicConfigPath,
  };
}

export interface TemporalServerConfigInput {
  postgres: { host: string; port: number; user: string; password: string };
  ports: TemporalPorts;
  dynamicConfigPath: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/**
 * The server's own config file for a local run: the module's development-postgres12.yaml
 * reduced to what we use, with the topology's databases, shards and pools.
 */
export function temporalServerConfig(input: TemporalServerConfigInput): Record<string, unknown> {
  const t = TOPOLOGY.temporal;
  const { ports, postgres } = input;
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: t.sqlPlugin,
      databaseName,
      connectAddr: `${postgres.host}:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return {
    log: { stdout: true, level: input.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: t.numHistoryShards,
      datastores: {
        'postgres-default': store(t.database, t.maxConns),
        'postgres-visibility': store(t.visibilityDatabase, t.visibilityMaxConns),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      pprof: { port: ports.pprof },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${ports.metrics}` } },
    },
    services: {
      frontend: rpc(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: rpc(ports.history, ports.historyMembership),
      matching: rpc(ports.matching, ports.matchingMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: input.dynamicConfigPath, pollInterval: '10s' },
  };
}
