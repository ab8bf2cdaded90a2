/** The platform reports an organization's seat count; psa-sync pushes it to the PSA's billing. */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../db/connect';
import { NotFound } from '../domain/errors';
import { seatSyncWorkflow, seatSyncWorkflowId, seatsChangedSignal } from '../workflows/seat-sync';

export const seatReportSchema = z.object({ seats: z.number().int().min(0).max(1_000_000) }).strict();
export type SeatReport = z.infer<typeof seatReportSchema>;

export interface SeatSyncTiming {
  debounceMs: number;
  idleMs: number;
}

export const DEFAULT_SEAT_SYNC_TIMING: SeatSyncTiming = { debounceMs: 30_000, idleMs: 3_600_000 };

export async function reportSeatCount(
  deps: { db: Db; temporal: Client; taskQueue: string },
  organizationId: string,
  report: SeatReport,
  timing: SeatSyncTiming = DEFAULT_SEAT_SYNC_TIMING,
): Promise<{ workflowId: string }> {
  const { seats } = seatReportSchema.parse(report);
  const org = await deps.db
    .updateTable('organizations')
    .set({ seatCount: seats, updatedAt: new Date() })
    .where('id', '=', organizationId)
    .returning(['id', 'partnerId'])
    .executeTakeFirst();
  if (!org) throw new NotFound('Organization');
  const workflowId = seatSyncWorkflowId(organizationId);
  await deps.temporal.workflow.signalWithStart(seatSyncWorkflow, {
    workflowId,
    taskQueue: deps.taskQueue,
    args: [{ organizationId, partnerId: org.partnerId, ...timing }],
    signal: seatsChangedSignal,
    signalArgs: [],
  });
  return { workflowId };
}
