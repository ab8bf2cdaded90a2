/**
 * `npm run worker`: runs the psa-sync worker until SIGINT/SIGTERM. Under the `npm start`
 * launcher it reports readiness over IPC and drains when the launcher goes (its IPC channel
 * closes).
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config/env';
import { createLogger } from '../infra/logger';
import { installSdkRuntime } from '../infra/sdk-runtime';
import { keyRingFrom, openDatabase, psaOptionsFrom } from '../infra/runtime';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowsInChild, createWorker, workerTuningFrom, type CreateWorkerOptions } from './create-worker';
import { createTemporalClient } from '../client/temporal';
import type { PsaRuntimeOptions } from '../activities/deps';
import { sdkMetricsReader, startMetricsServer, type MetricsServer } from '../infra/metrics';
import { shareBudgetsThrough } from '../psa/core/factory';
import { postgresPsaBudget } from '../infra/psa-budget';

export interface RunWorkerOptions {
  /** Replaces parts of the PSA options the environment gives (benchmarks lift vendor quotas). */
  psaOverrides?: Partial<PsaRuntimeOptions>;
  /** Adds to or replaces registered activities (the benchmark registers its yardsticks' no-op). */
  wrapActivities?: CreateWorkerOptions['wrapActivities'];
}

export async function runWorker(options: RunWorkerOptions = {}): Promise<void> {
  const config = loadConfig();
  const sdkMetricsAddress = config.SDK_METRICS_PORT ? `127.0.0.1:${config.SDK_METRICS_PORT}` : undefined;
  installSdkRuntime(config.LOG_LEVEL, sdkMetricsAddress ? { metricsBindAddress: sdkMetricsAddress } : {});
  const log = createLogger('worker', config.LOG_LEVEL);
  const db = await openDatabase(config);
  // Every worker process on this database spends one budget per PSA connection.
  if (config.PSA_SHARED_BUDGET) shareBudgetsThrough(postgresPsaBudget(db, log));
  const keys = keyRingFrom(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = await createTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, keys });
  // Without a pre-built bundle, bundle in a child process: webpack's memory leaves with it.
  let bundleDir: string | null = null;
  let bundlePath = config.WORKFLOW_BUNDLE_PATH;
  if (!bundlePath) {
    bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-sync-bundle-'));
    bundlePath = await bundleWorkflowsInChild(path.join(bundleDir, 'workflows.js'));
  }
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: {
      db,
      keys,
      psa: { ...psaOptionsFrom(config), ...options.psaOverrides },
      log,
      temporal,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      platformCallbackUrl: config.PLATFORM_CALLBACK_URL ?? null,
      reconcile: { healthEverySeconds: config.HEALTH_CHECK_EVERY_SECONDS, reconcileEverySeconds: config.RECONCILE_EVERY_SECONDS, holdDropShare: config.RECONCILE_HOLD_DROP_SHARE },
    },
    tuning: workerTuningFrom(config),
    workflowBundle: { codePath: bundlePath },
    ...(options.wrapActivities ? { wrapActivities: options.wrapActivities } : {}),
  });
  let metricsServer: MetricsServer | null = null;
  if (config.METRICS_PORT) {
    metricsServer = await startMetricsServer({
      host: config.METRICS_HOST,
      port: config.METRICS_PORT,
      ...(config.METRICS_TOKEN ? { token: config.METRICS_TOKEN } : {}),
      ...(sdkMetricsAddress ? { extra: sdkMetricsReader(`http://${sdkMetricsAddress}/metrics`) } : {}),
    });
    log.info('metrics endpoint listening', { url: metricsServer.url });
  }
  // Printed whatever LOG_LEVEL says: launchers and crash tests wait for this line.
  console.log(`worker started on task queue ${config.TEMPORAL_TASK_QUEUE} (${config.TEMPORAL_ADDRESS})`);
  process.send?.({ type: 'ready' });
  process.once('disconnect', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  try {
    await worker.run(); // resolves after SIGINT/SIGTERM (the SDK installs the handlers)
  } finally {
    await metricsServer?.close();
    await connection.close();
    await temporal.connection.close();
    await db.destroy();
    if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
    log.info('worker stopped');
  }
}

if (require.main === module) {
  // Exit once drained: a launcher's IPC channel (fork) would otherwise keep the process alive.
  runWorker().then(() => process.exit(0), (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
