/**
 * The benchmark's yardstick (bench/tickets.ts): a workflow that runs the same number of
 * activities as a ticket lifecycle, each doing nothing, so the ratio of the two throughputs
 * shows what the ticket logic itself costs on the same server and worker.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { TicketBenchActivities } from '../activities/tickets-bench';

const { ticketBenchNoop } = proxyActivities<TicketBenchActivities>({ startToCloseTimeout: '15s' });

export async function ticketBaselineWorkflow(activityCount: number): Promise<number> {
  for (let i = 0; i < activityCount; i += 1) await ticketBenchNoop(i);
  return activityCount;
}
