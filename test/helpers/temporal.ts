/**
 * Per-test-file access to the run's Temporal dev server: one workflow bundle per file, a
 * worker per test on its own task queue, and a client with the encrypting data converter.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps';
import { bundleWorkflows, createWorker, type CreateWorkerOptions } from '../../worker/create-worker';
import { createDataConverter } from '../../security/data-converter';
import type { KeyRing } from '../../security/crypto';

export interface TemporalTestContext {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  bundle: WorkflowBundleWithSourceMap;
  startWorker(taskQueue: string, deps: ActivityDeps, wrapActivities?: CreateWorkerOptions['wrapActivities']): Promise<{ worker: Worker; stop(): Promise<void> }>;
  close(): Promise<void>;
}

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | null = null;

export async function temporalTestContext(keys: KeyRing): Promise<TemporalTestContext> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run workflow tests through jest (global setup starts Temporal)');
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace: 'default', dataConverter: createDataConverter(keys) });
  bundlePromise ??= bundleWorkflows();
  const bundle = await bundlePromise;
  return {
    client,
    connection,
    nativeConnection,
    bundle,
    async startWorker(taskQueue, deps, wrapActivities) {
      const worker = await createWorker({ connection: nativeConnection, namespace: 'default', taskQueue, deps, workflowBundle: bundle, ...(wrapActivities ? { wrapActivities } : {}) });
      const running = worker.run();
      return {
        worker,
        async stop() {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await running;
        },
      };
    },
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}
