/**
 * The one place the environment becomes typed configuration. Every process (worker, API,
 * dev launcher, demo, benchmarks) calls `loadConfig()` and gets either a complete config or a
 * ConfigError listing every bad or missing variable at once.
 */
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(1).max(65535);

const csv = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean));

/** `kid:base64key[,kid:base64key…]`, each key exactly 32 bytes (AES-256). */
const keyRing = z.string().transform((s, ctx) => {
  const keys: Record<string, Buffer> = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const idx = part.indexOf(':');
    const kid = part.slice(0, idx);
    const key = Buffer.from(part.slice(idx + 1), 'base64');
    if (idx <= 0 || !/^[A-Za-z0-9_-]{1,32}$/.test(kid)) {
      ctx.addIssue({ code: 'custom', message: 'each key must look like <key-id>:<base64 key>' });
      return z.NEVER;
    }
    if (key.length !== 32) {
      ctx.addIssue({ code: 'custom', message: `key ${kid} must be 32 bytes of base64 (openssl rand -base64 32)` });
      return z.NEVER;
    }
    keys[kid] = key;
  }
  if (Object.keys(keys).length === 0) {
    ctx.addIssue({ code: 'custom', message: 'at least one key is required' });
    return z.NEVER;
  }
  return keys;
});

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/psa_sync'),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('psa-sync'),
    TEMPORAL_UI_PORT: port.default(8233),
    /**
     * Whether `npm start` runs its own Temporal dev server (on TEMPORAL_ADDRESS's port). Unset: it
     * does unless TEMPORAL_ADDRESS is set, which then names a server already running.
     */
    TEMPORAL_DEV_SERVER: bool.optional(),
    /** SQLite file of that dev server's history (its log goes beside it). */
    TEMPORAL_DEV_DB: z.string().min(1).regex(/^[^\0]*$/, 'must be a file path (no NUL byte)').optional(),
    API_HOST: z.string().min(1).default('127.0.0.1'),
    API_PORT: port.default(8080),
    /** Bearer tokens the platform uses to call the HTTP API. */
    API_TOKENS: csv.default(['dev-platform-token']),
    /** Bearer token the Temporal Web UI sends to the codec endpoint. */
    CODEC_AUTH_TOKEN: z.string().min(8).default('dev-codec-token'),
    /** Shared secret of signed alert webhooks from the platform (HMAC-SHA256). */
    ALERT_WEBHOOK_SECRET: z.string().min(16).default('dev-alert-webhook-secret'),
    /** Encryption keys for credentials and Temporal payloads; the first is used for new data unless ACTIVE_KEY_ID says otherwise. */
    ENCRYPTION_KEYS: keyRing.optional(),
    ACTIVE_KEY_ID: z.string().optional(),
    /** Allow PSA site URLs on loopback / private networks (simulators, on-premise PSAs). */
    PSA_ALLOW_PRIVATE_NETWORKS: bool.default(false),
    PSA_ALLOW_HTTP: bool.default(false),
    PSA_ALLOW_HOSTS: csv.default([]),
    /** Autotask zone-discovery host (a simulator in development). */
    AUTOTASK_ZONE_URL: z.url().default('https://webservices.autotask.net'),
    /** The clientId GUID this integration was issued at developer.connectwise.com (partners do not type it). */
    CONNECTWISE_CLIENT_ID: z.guid({ error: 'must be the clientId GUID issued by developer.connectwise.com' }).optional(),
    /** The Autotask API tracking identifier (integration code) issued to this integration (partners do not type it). */
    AUTOTASK_INTEGRATION_CODE: z.string().trim().min(1).max(128).optional(),
    /** Extra CA (PEM file path) trusted for PSA HTTPS, e.g. the ConnectWise simulator's CA. */
    PSA_EXTRA_CA_FILE: z.string().optional(),
    /** Where PSA webhooks reach this API (given to the PSA when subscribing to ticket events). */
    PUBLIC_BASE_URL: z.url().default('http://127.0.0.1:8080'),
    /** Platform endpoint told when a PSA closed a ticket first (the alert is reset there); unset = record only. */
    PLATFORM_CALLBACK_URL: z.url().optional(),
    /** Pre-built workflow bundle (from `bundleWorkflowCode`) so a restarted worker skips webpack. */
    WORKFLOW_BUNDLE_PATH: z.string().optional(),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Bearer token `GET /metrics` requires (API and worker metrics ports); unset = open (bind to a private network). */
    METRICS_TOKEN: z.string().min(16).optional(),
    /** Where a worker serves its Prometheus metrics; unset = no endpoint. The API serves them on its own port. */
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    METRICS_PORT: port.optional(),
    /** Loopback port of the Temporal SDK's own Prometheus exporter; the worker's /metrics appends its metrics. */
    SDK_METRICS_PORT: port.optional(),
    /** `npm start` also runs the three PSA simulators (development only; default on there, never in production). */
    DEV_SIMULATORS: bool.optional(),
    SIM_CONNECTWISE_PORT: port.default(7801),
    SIM_AUTOTASK_PORT: port.default(7802),
    SIM_HALOPSA_PORT: port.default(7803),
    /** How often each connection's health schedule re-tests it and probes its rights. */
    HEALTH_CHECK_EVERY_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
    /** How often each connection's billing reconcile schedule runs. */
    RECONCILE_EVERY_SECONDS: z.coerce.number().int().min(60).max(2_592_000).default(21_600),
    /** A drop larger than this share of the PSA's billed quantity is held for approval, not written. */
    RECONCILE_HOLD_DROP_SHARE: z.coerce.number().min(0).max(1).default(0.5),
    /**
     * Workflow runs a worker keeps in memory between their tasks (the SDK's sticky cache). The SDK's
     * default grows with the heap limit (about 2,300 on a 4 GB heap), so every open run stayed
     * resident; an evicted run is replayed from its short history on its next task.
     */
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(250),
    /**
     * Workers and the API keep each PSA connection's request budget in PostgreSQL, shared by
     * every process, so N workers (and the API's own calls) together stay inside the vendor's
     * budget; false gives each process the whole budget.
     */
    PSA_SHARED_BUDGET: bool.default(true),
    /** Workflow tasks a worker runs at once (at most the cache size). */
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1_000).default(20),
    /** Activities (database writes, callbacks) and local activities (PSA calls) a worker runs at once. */
    WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(1_000).default(50),
    WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(1_000).default(50),
    /** One V8 context shared by every cached run (the SDK's default); false gives each run its own, at a much higher cost per run. */
    WORKER_REUSE_V8_CONTEXT: bool.default(true),
    /**
     * How long a run's next workflow task may wait for its worker (the sticky queue) before any
     * worker may take it, replaying its history. The SDK's 10 s was too short for one worker
     * draining an alert storm's budget window (300 runs woken within seconds); a crashed worker's
     * queue is given up by the server after 10 s without polls whatever this is.
     */
    WORKER_STICKY_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      if (env.DEV_SIMULATORS) ctx.addIssue({ code: 'custom', path: ['DEV_SIMULATORS'], message: 'the PSA simulators never run in production' });
      if (!env.ENCRYPTION_KEYS) ctx.addIssue({ code: 'custom', path: ['ENCRYPTION_KEYS'], message: 'is required in production' });
      for (const name of ['API_TOKENS', 'CODEC_AUTH_TOKEN', 'ALERT_WEBHOOK_SECRET'] as const) {
        const v = env[name];
        if ((Array.isArray(v) ? v.join() : v).startsWith('dev-')) {
          ctx.addIssue({ code: 'custom', path: [name], message: 'must be set in production (the development default is public)' });
        }
      }
    }
    if (env.ENCRYPTION_KEYS && env.ACTIVE_KEY_ID && !(env.ACTIVE_KEY_ID in env.ENCRYPTION_KEYS)) {
      ctx.addIssue({ code: 'custom', path: ['ACTIVE_KEY_ID'], message: 'names no key in ENCRYPTION_KEYS' });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** Whether `npm start` runs its own Temporal dev server: as TEMPORAL_DEV_SERVER says, else unless TEMPORAL_ADDRESS was given. */
export const devServerWanted = (env: Env, given: { TEMPORAL_ADDRESS?: string | undefined }): boolean => env.TEMPORAL_DEV_SERVER ?? !given.TEMPORAL_ADDRESS;

/** Whether `npm start` runs the PSA simulators: in development unless DEV_SIMULATORS=false. */
export const simulatorsWanted = (env: Env): boolean => env.NODE_ENV === 'development' && env.DEV_SIMULATORS !== false;

/** Every problem with the environment, one per line, ready to print. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Env {
  // Empty strings count as unset, so `FOO= npm start` falls back to the default.
  const input = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
}

/** Names of every variable the config reads (docker-compose and docs are checked against this). */
export const ENV_NAMES = Object.freeze(Object.keys(envSchema.shape));
