/**
 * The benchmark's worker process: worker/main.ts's wiring plus per-vendor rate-budget overrides
 * (BENCH_PSA_MAX_REQUESTS), so the engine is measured rather than the vendors' hourly quotas.
 * Prints "worker started" like worker/main.ts; stops on SIGTERM.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config/env';
import { createLogger } from '../infra/logger';
import { installSdkRuntime } from '../infra/sdk-runtime';
import { keyRingFrom, openDatabase, psaOptionsFrom } from '../infra/runtime';
import { createWorker } from '../worker/create-worker';
import { createTemporalClient } from '../client/temporal';

async function run(): Promise<void> {
  const config = loadConfig();
  installSdkRuntime('warn');
  const max = Number(process.env.BENCH_PSA_MAX_REQUESTS ?? 1_000_000);
  const limits = { maxRequests: max, windowMs: 60_000, maxConcurrentPerEndpoint: 50 };
  const db = await openDatabase(config);
  const keys = keyRingFrom(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = await createTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, keys });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: {
      db,
      keys,
      psa: { ...psaOptionsFrom(config), limits: { connectwise: limits, autotask: limits, halopsa: limits }, timeoutMs: 10_000 },
      log: createLogger('bench-worker', 'warn'),
      temporal,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      platformCallbackUrl: null,
    },
    ...(config.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } } : {}),
  });
  console.log(`worker started on task queue ${config.TEMPORAL_TASK_QUEUE}`);
  try {
    await worker.run();
  } finally {
    await connection.close();
    await temporal.connection.close();
    await db.destroy();
  }
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
