/**
 * Builds a psa-sync worker: bundled workflows from workflows/index.ts, activities from the
 * factory with injected dependencies, and the encrypting data converter.
 */
import { type NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleOption, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ActivityDeps } from '../activities/deps';
import { createDataConverter } from '../security/data-converter';
import { activityMetricsInterceptor } from '../infra/metrics';

// Resolves to index.ts under tsx/jest and to index.js in the compiled image.
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Bundling takes seconds; tests bundle once per file and share the result. Another entry (the
 * benchmark's, which adds its yardsticks to psa-sync's workflows) may be given.
 */
export function bundleWorkflows(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
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
  /** Replaces some activities with wrappers (tests hold one at a chosen moment). */
  wrapActivities?: (activities: Activities) => Activities;
}

type Activities = ReturnType<typeof createActivities>;

export async function createWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: (opts.wrapActivities ?? ((a: Activities) => a))(createActivities(opts.deps)),
    dataConverter: createDataConverter(opts.deps.keys),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 50,
    interceptors: { activity: [activityMetricsInterceptor] },
  });
}
