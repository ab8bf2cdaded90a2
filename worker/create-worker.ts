/**
 * Builds a psa-sync worker: bundled workflows from workflows/index.ts, activities from the
 * factory with injected dependencies, and the encrypting data converter.
 */
import { fork } from 'node:child_process';
import { type NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleOption, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ActivityDeps } from '../activities/deps';
import { createDataConverter } from '../security/data-converter';
import { activityMetricsInterceptor } from '../infra/metrics';
import type { Env } from '../config/env';

// Resolves to index.ts under tsx/jest and to index.js in the compiled image.
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Bundling takes seconds; tests bundle once per file and share the result. Another entry (the
 * benchmark's, which adds its yardsticks to psa-sync's workflows) may be given.
 */
export function bundleWorkflows(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
}

/**
 * Bundles in a child process (worker/bundle-child.ts) into `file`, so the bundler's memory is not
 * kept by the worker; resolves with the file's path. The child inherits tsx under `npm start`.
 */
export function bundleWorkflowsInChild(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = fork(require.resolve('./bundle-child'), [file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve(file) : reject(new Error(`bundling the workflows failed (${signal ?? `exit ${code}`})`))));
  });
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  workflowBundle?: WorkflowBundleOption;
  maxConcurrentActivityTaskExecutions?: number;
  /** Memory and concurrency of the worker (config/env.ts WORKER_*); SDK defaults when omitted. */
  tuning?: WorkerTuning;
  /** Replaces some activities with wrappers (tests hold one at a chosen moment). */
  wrapActivities?: (activities: Activities) => Activities;
}

type Activities = ReturnType<typeof createActivities>;

export interface WorkerTuning {
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentLocalActivityExecutions: number;
  reuseV8Context: boolean;
  stickyQueueScheduleToStartTimeoutMs: number;
}

/** The worker's tuning from its configuration. */
export function workerTuningFrom(config: Pick<Env, 'WORKER_MAX_CACHED_WORKFLOWS' | 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS' | 'WORKER_MAX_CONCURRENT_ACTIVITIES' | 'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES' | 'WORKER_REUSE_V8_CONTEXT' | 'WORKER_STICKY_QUEUE_TIMEOUT_MS'>): WorkerTuning {
  const cache = config.WORKER_MAX_CACHED_WORKFLOWS;
  return {
    maxCachedWorkflows: cache,
    // The SDK refuses more concurrent workflow tasks than cached runs (a disabled cache has no such bound).
    maxConcurrentWorkflowTaskExecutions: cache === 0 ? config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS : Math.max(2, Math.min(config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, cache)),
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    reuseV8Context: config.WORKER_REUSE_V8_CONTEXT,
    stickyQueueScheduleToStartTimeoutMs: config.WORKER_STICKY_QUEUE_TIMEOUT_MS,
  };
}

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: (opts.wrapActivities ?? ((a: Activities) => a))(createActivities(opts.deps)),
    dataConverter: createDataConverter(opts.deps.keys),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? opts.tuning?.maxConcurrentActivityTaskExecutions ?? 50,
    ...(opts.tuning
      ? {
          maxCachedWorkflows: opts.tuning.maxCachedWorkflows,
          maxConcurrentWorkflowTaskExecutions: opts.tuning.maxConcurrentWorkflowTaskExecutions,
          maxConcurrentLocalActivityExecutions: opts.tuning.maxConcurrentLocalActivityExecutions,
          reuseV8Context: opts.tuning.reuseV8Context,
          stickyQueueScheduleToStartTimeout: opts.tuning.stickyQueueScheduleToStartTimeoutMs,
        }
      : {}),
    interceptors: { activity: [activityMetricsInterceptor] },
  });
}
