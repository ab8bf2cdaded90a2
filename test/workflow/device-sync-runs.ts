/** The runs of a workflow that continued as new, followed from its first run to its last. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';

/** Waits for the chain to end; returns each run's id (first to last) and the last run's handle. */
export async function runsUntilDone(client: Client, workflowId: string, firstRunId: string, timeoutMs = 120_000): Promise<{ runIds: string[]; last: WorkflowHandle }> {
  const deadline = Date.now() + timeoutMs;
  const runIds = [firstRunId];
  for (;;) {
    const runId = runIds[runIds.length - 1] as string;
    const handle = client.workflow.getHandle(workflowId, runId, { followRuns: false });
    const { status } = await handle.describe();
    if (status.name === 'CONTINUED_AS_NEW') {
      const events = (await handle.fetchHistory()).events ?? [];
      const next = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (!next) throw new Error(`run ${runId} continued as new without naming its next run`);
      runIds.push(next);
      continue;
    }
    if (status.name !== 'RUNNING') return { runIds, last: handle };
    if (Date.now() > deadline) throw new Error(`${workflowId} still running after ${timeoutMs} ms (${runIds.length} runs)`);
    await sleep(100);
  }
}
