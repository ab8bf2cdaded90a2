/**
 * Support's "run it again": finds workflow runs that ended badly (failed, terminated, timed
 * out) and starts each again with the same id, type, task queue, arguments and search
 * attributes. Arguments are decoded and re-encoded through psa-sync's codec, so nothing leaves
 * encryption. Every workflow of psa-sync is idempotent by design (markers, upserts), so running
 * one again repeats no PSA write that already happened.
 */
import { WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/data-converter-helpers';
import type { DataConverter } from '@temporalio/common';

/** Visibility names of the statuses worth running again. */
export const REPLAYABLE_STATUSES = ['Failed', 'Terminated', 'TimedOut'] as const;

export interface ReplayRequest {
  /** One workflow id, or a visibility query such as `WorkflowType = "serviceTicketWorkflow"`. */
  workflowId?: string;
  query?: string;
  /** Only runs closed within this many hours (with `query`). */
  sinceHours?: number;
  dryRun?: boolean;
  limit?: number;
}

export interface ReplayedRun {
  workflowId: string;
  workflowType: string;
  previousStatus: string;
  newRunId: string | null;
}

export class NothingToReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NothingToReplayError';
  }
}

export async function replayFailedRuns(
  client: Client,
  dataConverter: DataConverter,
  request: ReplayRequest,
  progress: (line: string) => void = () => undefined,
): Promise<ReplayedRun[]> {
  const converter = loadDataConverter(dataConverter);
  const statuses = REPLAYABLE_STATUSES.map((s) => `ExecutionStatus = "${s}"`);
  const clauses = [`(${statuses.join(' OR ')})`];
  if (request.workflowId) clauses.push(`WorkflowId = "${request.workflowId.replace(/"/g, '')}"`);
  if (request.query) clauses.push(`(${request.query})`);
  if (request.sinceHours) clauses.push(`CloseTime > "${new Date(Date.now() - request.sinceHours * 3_600_000).toISOString()}"`);
  const query = clauses.join(' AND ');

  // Newest closed run per workflow id; a newer successful run means it needs nothing.
  const latest = new Map<string, { runId: string; type: string; status: string }>();
  for await (const wf of client.workflow.list({ query })) {
    if (!latest.has(wf.workflowId)) latest.set(wf.workflowId, { runId: wf.runId, type: wf.type, status: wf.status.name });
    if (latest.size >= (request.limit ?? 100)) break;
  }
  if (latest.size === 0) throw new NothingToReplayError(`No failed, terminated or timed-out run matches: ${query}`);

  const replayed: ReplayedRun[] = [];
  for (const [workflowId, run] of latest) {
    const handle = client.workflow.getHandle(workflowId);
    const current = await handle.describe();
    if (current.status.name === 'RUNNING' || current.status.name === 'COMPLETED') {
      progress(`skip ${workflowId}: its latest run is ${current.status.name.toLowerCase()}`);
      continue;
    }
    const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    if (!started?.taskQueue?.name) throw new Error(`run ${run.runId} of ${workflowId} has no start event`);
    const args = await decodeArrayFromPayloads(converter, started.input?.payloads);
    if (request.dryRun) {
      progress(`would restart ${workflowId} (${run.type}, was ${run.status.toLowerCase()})`);
      replayed.push({ workflowId, workflowType: run.type, previousStatus: run.status, newRunId: null });
      continue;
    }
    const typed = current.typedSearchAttributes;
    const next = await client.workflow.start(run.type, {
      workflowId,
      taskQueue: started.taskQueue.name,
      args,
      typedSearchAttributes: typed,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    });
    progress(`restarted ${workflowId} (${run.type}, was ${run.status.toLowerCase()}) as run ${next.firstExecutionRunId}`);
    replayed.push({ workflowId, workflowType: run.type, previousStatus: run.status, newRunId: next.firstExecutionRunId });
  }
  return replayed;
}
