import { connectionHealthWorkflow, reconcileWorkflow } from '../../../workflows';
import type { ScenarioContext } from '.';

/** A scheduled reconcile run on a connection that is gone: one activity, a skipped summary. */
export async function reconcileScenario({ client, taskQueue }: ScenarioContext) {
  const handle = await client.workflow.start(reconcileWorkflow, { taskQueue, workflowId: 'replay-reconcile', args: [{ connectionId: '00000000-0000-4000-8000-000000000000' }] });
  await handle.result();
  return handle;
}

/** A scheduled health check on a connection that is gone. */
export async function connectionHealthScenario({ client, taskQueue }: ScenarioContext) {
  const handle = await client.workflow.start(connectionHealthWorkflow, { taskQueue, workflowId: 'replay-connection-health', args: [{ connectionId: '00000000-0000-4000-8000-000000000000' }] });
  await handle.result();
  return handle;
}
