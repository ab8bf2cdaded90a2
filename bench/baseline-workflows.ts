/**
 * The benchmark's yardsticks (bench/tickets.ts), bundled with the production workflows for the
 * benchmark's worker only (bench/workflows.ts), so they run on the same server and worker as the
 * ticket lifecycles and the ratios show what the ticket logic itself costs:
 *  - `ticketBaselineWorkflow`: as many activities as a lifecycle, each doing nothing (ordinary
 *    activities: the baseline the throughput target is stated against);
 *  - `ticketLocalBaselineWorkflow`: the same with local activities, the kind a lifecycle's PSA
 *    calls are;
 *  - `ticketShapeBaselineWorkflow`: the lifecycle's Temporal shape without its work: started by
 *    signal-with-start, a second signal, a state upsert after each of two no-op local activities.
 *    Between the local baseline and it sits the Temporal messaging the design asks for (a signal
 *    per alert, the ticket state as a search attribute); between it and a lifecycle, our
 *    activities, PostgreSQL and the simulated PSAs.
 */
import { condition, defineSignal, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { TicketStateKey } from '../workflows/search-attributes';
import type { BaselineActivities } from './baseline-activities';

const remote = proxyActivities<BaselineActivities>({ startToCloseTimeout: '15s' });
const local = proxyLocalActivities<BaselineActivities>({ startToCloseTimeout: '15s' });

export async function ticketBaselineWorkflow(activityCount: number): Promise<number> {
  for (let i = 0; i < activityCount; i += 1) await remote.ticketBenchNoop(i);
  return activityCount;
}

export async function ticketLocalBaselineWorkflow(activityCount: number): Promise<number> {
  for (let i = 0; i < activityCount; i += 1) await local.ticketBenchNoop(i);
  return activityCount;
}

export const shapeBaselineSignal = defineSignal<[{ event: 'raised' | 'recovered' }]>('shapeBaselineAlert');

export async function ticketShapeBaselineWorkflow(): Promise<number> {
  const pending: string[] = [];
  setHandler(shapeBaselineSignal, (a) => void pending.push(a.event));
  await condition(() => pending.includes('raised'));
  await local.ticketBenchNoop(0);
  upsertSearchAttributes([{ key: TicketStateKey, value: 'open' }]);
  await condition(() => pending.includes('recovered'));
  await local.ticketBenchNoop(1);
  upsertSearchAttributes([{ key: TicketStateKey, value: 'closed' }]);
  return pending.length;
}
