/**
 * docker-compose.yml and `npm run start:cluster` run one topology (infra/cluster/topology.ts).
 * The compose file is generated from it; these checks fail when the committed file is stale or
 * when the two renderings (compose's image settings, the local server's config file) disagree.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { COMPOSE_FILE, renderCompose } from '../../../infra/cluster/compose';
import {
  DYNAMIC_CONFIG_FILE,
  TOPOLOGY,
  appEnvironment,
  temporalPortsFor,
  temporalServerConfig,
  topologySteps,
  workerEnvironment,
  workerMetricsPorts,
  workerNodeArgs,
  workerProcessEnvironment,
} from '../../../infra/cluster/topology';
import { ALL_SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes';

type Service = { environment?: Record<string, string>; depends_on?: Record<string, { condition: string }>; volumes?: string[]; command?: string[] };
const compose = parse(fs.readFileSync(COMPOSE_FILE, 'utf8')) as { services: Record<string, Service> };

test('docker-compose.yml is what the topology renders (run `npm run compose:generate` after changing it)', () => {
  expect(fs.readFileSync(COMPOSE_FILE, 'utf8')).toBe(renderCompose());
});

test('compose has one service per topology step, in start order, each depending on what the launcher runs before it', () => {
  const steps = topologySteps();
  expect(Object.keys(compose.services)).toEqual(steps.map((s) => s.service));
  steps.forEach((step, i) => {
    const earlier = steps.slice(0, i).map((s) => s.service);
    for (const dep of step.after) expect([step.service, dep.service, earlier.includes(dep.service)]).toEqual([step.service, dep.service, true]);
    expect(compose.services[step.service]?.depends_on ?? {}).toEqual(Object.fromEntries(step.after.map((a) => [a.service, { condition: a.condition }])));
  });
  expect(steps.filter((s) => s.kind === 'worker').length).toBe(TOPOLOGY.workers);
  expect(topologySteps(5).filter((s) => s.kind === 'worker').map((s) => s.service)).toEqual([1, 2, 3, 4, 5].map((n) => `psa-sync-worker-${n}`));
});

test("the compose server's settings and the local server's config file say the same thing", () => {
  const env = compose.services.temporal?.environment ?? {};
  const local = temporalServerConfig({
    postgres: { host: '127.0.0.1', port: 5432, user: 'postgres', password: '' },
    ports: temporalPortsFor(TOPOLOGY.ports.temporalFrontend),
    dynamicConfigPath: DYNAMIC_CONFIG_FILE,
  }) as {
    persistence: { numHistoryShards: number; datastores: Record<string, { sql: { pluginName: string; databaseName: string; maxConns: number } }> };
    services: { frontend: { rpc: { grpcPort: number } } };
    dynamicConfigClient: { filepath: string };
  };
  const stores = local.persistence.datastores;
  expect({
    DB: env.DB,
    DBNAME: env.DBNAME,
    VISIBILITY_DBNAME: env.VISIBILITY_DBNAME,
    NUM_HISTORY_SHARDS: env.NUM_HISTORY_SHARDS,
    SQL_MAX_CONNS: env.SQL_MAX_CONNS,
    SQL_VIS_MAX_CONNS: env.SQL_VIS_MAX_CONNS,
  }).toEqual({
    DB: stores['postgres-default']?.sql.pluginName,
    DBNAME: stores['postgres-default']?.sql.databaseName,
    VISIBILITY_DBNAME: stores['postgres-visibility']?.sql.databaseName,
    NUM_HISTORY_SHARDS: String(local.persistence.numHistoryShards),
    SQL_MAX_CONNS: String(stores['postgres-default']?.sql.maxConns),
    SQL_VIS_MAX_CONNS: String(stores['postgres-visibility']?.sql.maxConns),
  });
  // Both read the one dynamic config file: compose mounts it where its env var points.
  const mount = compose.services.temporal?.volumes?.find((v) => v.startsWith('./docker/temporal/'));
  expect(mount?.split(':')[1]).toBe(env.DYNAMIC_CONFIG_FILE_PATH);
  expect(path.resolve(path.dirname(COMPOSE_FILE), mount?.split(':')[0] ?? '')).toBe(local.dynamicConfigClient.filepath);
  expect(local.services.frontend.rpc.grpcPort).toBe(TOPOLOGY.ports.temporalFrontend);
});

test('the schema job migrates the databases and embedded schemas the launcher migrates', () => {
  const script = compose.services['temporal-admin-tools']?.command?.[0] ?? '';
  const t = TOPOLOGY.temporal;
  for (const [db, schema] of [
    [t.database, t.schema],
    [t.visibilityDatabase, t.visibilitySchema],
  ]) {
    expect(script).toContain(`--db ${db} setup-schema -v 0.0`);
    expect(script).toContain(`--db ${db} update-schema --schema-name ${schema}`);
  }
  expect(script.split('\n')[0]).toBe('set -e');
});

test('the namespace job registers the namespace and exactly our search attributes', () => {
  const script = compose.services['temporal-create-namespace']?.command?.[0] ?? '';
  const names = [...script.matchAll(/--name (\S+) --type Keyword/g)].map((m) => m[1]);
  expect(names).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name));
  expect(script).toContain(`namespace create -n ${TOPOLOGY.namespace} --retention ${TOPOLOGY.retentionDays * 24}h`);
});

test('every psa-sync process gets the settings the launcher gives its local processes; only addresses and secrets differ', () => {
  const local = appEnvironment({ databaseUrl: 'postgres://x@127.0.0.1:5432/psa_sync', temporalAddress: '127.0.0.1:7233', apiHost: '127.0.0.1', publicBaseUrl: 'http://127.0.0.1:8080' });
  const perDeployment = new Set(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'API_HOST', 'PUBLIC_BASE_URL', 'METRICS_HOST']);
  const secrets = new Set(['NODE_ENV', 'API_TOKENS', 'CODEC_AUTH_TOKEN', 'ALERT_WEBHOOK_SECRET', 'ENCRYPTION_KEYS', 'LOG_LEVEL', 'METRICS_TOKEN']);
  const workerSteps = topologySteps().filter((s) => s.kind === 'worker');
  for (const step of topologySteps().filter((s) => ['migrate', 'worker', 'api'].includes(s.kind))) {
    const env = compose.services[step.service]?.environment ?? {};
    const shared = Object.fromEntries(Object.entries(env).filter(([k]) => !perDeployment.has(k) && !secrets.has(k)));
    const own = step.kind === 'worker' ? { ...workerEnvironment(workerMetricsPorts(workerSteps.findIndex((s) => s.service === step.service)), '127.0.0.1'), ...workerProcessEnvironment() } : {};
    const expected = { ...local, ...own };
    expect([step.service, shared]).toEqual([step.service, Object.fromEntries(Object.entries(expected).filter(([k]) => !perDeployment.has(k)))]);
    expect(new URL(env.DATABASE_URL ?? '').pathname).toBe(`/${TOPOLOGY.app.database}`);
  }
});

test('each worker serves its metrics on ports of its own, and its SDK exporter only on loopback', () => {
  const ports = topologySteps()
    .filter((s) => s.kind === 'worker')
    .flatMap((s) => {
      const env = compose.services[s.service]?.environment ?? {};
      return [env.METRICS_PORT, env.SDK_METRICS_PORT];
    });
  expect(ports.every((p) => /^\d+$/.test(String(p)))).toBe(true);
  expect(new Set(ports).size).toBe(ports.length);
  expect(ports).not.toContain(String(TOPOLOGY.ports.api));
});

test('the dynamic config file holds well-formed entries', () => {
  const dynamic = parse(fs.readFileSync(DYNAMIC_CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  expect(Object.keys(dynamic).length).toBeGreaterThan(0);
  for (const [key, entries] of Object.entries(dynamic)) {
    expect([key, Array.isArray(entries) && entries.every((e) => typeof e === 'object' && e !== null && 'value' in e)]).toEqual([key, true]);
  }
});

test("every worker in compose and the image's default command start with the topology's worker process settings", () => {
  const workers = topologySteps().filter((s) => s.kind === 'worker');
  for (const step of workers) {
    const svc = compose.services[step.service];
    expect(svc?.command).toEqual(['node', ...workerNodeArgs(), 'dist/worker/main.js']);
    expect(svc?.environment).toMatchObject(workerProcessEnvironment());
  }
  const dockerfile = fs.readFileSync(path.join(__dirname, '../../../Dockerfile'), 'utf8');
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
  expect(cmd).toEqual(['node', ...workerNodeArgs(), 'dist/worker/main.js']);
  for (const [name, value] of Object.entries(workerProcessEnvironment())) expect(dockerfile).toMatch(new RegExp(`^ENV ${name}=${value}$`, 'm'));
});
