import { systemCheckWorkflow } from '../../../workflows';
import type { ScenarioContext } from '.';

export async function systemCheckScenario({ client, taskQueue }: ScenarioContext) {
  const handle = await client.workflow.start(systemCheckWorkflow, { taskQueue, workflowId: 'replay-system-check', args: ['replay-recorder'] });
  await handle.result();
  return handle;
}
