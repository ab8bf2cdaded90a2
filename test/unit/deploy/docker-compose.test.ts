/**
 * No Docker engine runs where the tests do, so docker-compose.yml is checked structurally:
 * every service is well-formed, dependencies exist, and what it hands psa-sync (env names,
 * ports, search attributes, entrypoints) matches the config module and the code.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ENV_NAMES, loadConfig } from '../../../config/env';
import { ALL_SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes';
import { workerProcessEnvironment } from '../../../infra/cluster/topology';

const root = path.resolve(__dirname, '../../..');
const raw = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(raw, { merge: true });

const service = z
  .object({
    image: z.string().optional(),
    build: z.union([z.string(), z.object({ context: z.string() })]).optional(),
    environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    ports: z.array(z.string().regex(/^\d+:\d+$/)).optional(),
    depends_on: z.record(z.string(), z.object({ condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']) })).optional(),
    command: z.union([z.string(), z.array(z.string())]).optional(),
    entrypoint: z.array(z.string()).optional(),
    volumes: z.array(z.string()).optional(),
    healthcheck: z.object({ test: z.array(z.string()) }).passthrough().optional(),
    restart: z.string().optional(),
  })
  .strict()
  .refine((s) => s.image || s.build, 'a service needs an image or a build');
const composeSchema = z.object({ services: z.record(z.string(), service), volumes: z.record(z.string(), z.unknown()).optional() }).passthrough();

const parsed = composeSchema.parse(compose);
const services = parsed.services;
/** The services that run psa-sync's own image (migrate job, workers, API). */
const psaSyncServices = Object.keys(services).filter((name) => services[name]?.image === 'psa-sync:local');

/** `${VAR:?msg}` / `${VAR:-default}` → a value a real deployment would give. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z_]+)(?::[?-]([^}]*))?\}/g, (_, name: string) => {
    if (name.includes('ENCRYPTION_KEYS')) return `k1:${Buffer.alloc(32, 1).toString('base64')}`;
    if (name.includes('PUBLIC_BASE_URL')) return 'https://psa-sync.example.com';
    return `${name.toLowerCase()}-value-for-tests`;
  });
}

test('every service is well-formed and depends only on services that exist', () => {
  for (const [name, svc] of Object.entries(services)) {
    for (const dep of Object.keys(svc.depends_on ?? {})) expect([name, dep, Object.keys(services).includes(dep)]).toEqual([name, dep, true]);
  }
  expect(Object.keys(services)).toEqual(
    expect.arrayContaining(['postgresql', 'temporal-admin-tools', 'temporal', 'temporal-ui', 'psa-sync-migrate', 'psa-sync-worker-1', 'psa-sync-api']),
  );
  expect(psaSyncServices.filter((name) => name.startsWith('psa-sync-worker-')).length).toBeGreaterThan(1);
});

test('psa-sync services get only variables the config module reads, and they form a valid production config', () => {
  for (const name of psaSyncServices) {
    const env = services[name]?.environment ?? {};
    // The process settings every worker gets are for node and the C library, not config/env.ts.
    const unknown = Object.keys(env).filter((k) => !ENV_NAMES.includes(k) && !(k in workerProcessEnvironment()));
    expect(unknown).toEqual([]);
    const config = loadConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v))])));
    expect(config.NODE_ENV).toBe('production');
    // The API's published port maps onto the port it listens on.
    if (name === 'psa-sync-api') expect(services[name]?.ports?.[0]?.split(':')[1]).toBe(String(config.API_PORT));
    // The worker reaches Temporal on the port the temporal service publishes.
    expect(config.TEMPORAL_ADDRESS).toBe(`temporal:${services.temporal?.ports?.[0]?.split(':')[1]}`);
  }
});

test('the namespace job registers exactly our search attributes', () => {
  const script = JSON.stringify(services['temporal-create-namespace']?.command);
  for (const key of ALL_SEARCH_ATTRIBUTES) expect(script).toContain(key.name);
});

test('entrypoints point at compiled files of modules that exist', () => {
  for (const name of psaSyncServices) {
    const cmd = services[name]?.command as string[];
    const source = cmd[cmd.length - 1]!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    expect(fs.existsSync(path.join(root, source))).toBe(true);
  }
  expect(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toContain('tsconfig.build.json');
});

const dockerCompose = (() => {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(dockerCompose ? test : test.skip)('docker-compose config accepts the file (when docker-compose is installed)', () => {
  execFileSync('docker-compose', ['-f', path.join(root, 'docker-compose.yml'), 'config', '-q'], {
    env: { ...process.env, PSA_SYNC_API_TOKENS: 't', PSA_SYNC_CODEC_AUTH_TOKEN: 'c', PSA_SYNC_ALERT_WEBHOOK_SECRET: 's', PSA_SYNC_ENCRYPTION_KEYS: 'k' },
  });
});
