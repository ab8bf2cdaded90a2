/** The platform reports an organization's seat count; psa-sync pushes it to the PSA's billing. */
import { z } from 'zod';
import { NotFound, parseOrThrow } from '../domain/errors';
import { seatStateOf, setSeatCount } from '../db/repositories/seats';
import { seatSyncWorkflow, seatSyncWorkflowId, seatsChangedSignal } from '../workflows/seat-sync';
import type { ClientDeps } from './deps';

export const seatReportSchema = z.object({ seats: z.number().int().min(0).max(1_000_000) }).strict();
export type SeatReport = z.infer<typeof seatReportSchema>;

export interface SeatSyncTiming {
  debounceMs: number;
  idleMs: number;
}

export const DEFAULT_SEAT_SYNC_TIMING: SeatSyncTiming = { debounceMs: 30_000, idleMs: 3_600_000 };

export interface SeatsClientOptions extends ClientDeps {
  /** Debounce and idle time of the seat-sync workflows it starts. */
  timing?: SeatSyncTiming;
}

export function createSeatsClient(opts: SeatsClientOptions) {
  const { db, temporal, taskQueue } = opts;
  const timing = opts.timing ?? DEFAULT_SEAT_SYNC_TIMING;
  return {
    /** Stores the count and nudges (or starts) the organization's seat-sync workflow. */
    async reportSeatCount(organizationId: string, report: SeatReport): Promise<{ workflowId: string }> {
      const { seats } = parseOrThrow(seatReportSchema, report);
      const org = await setSeatCount(db, organizationId, seats);
      if (!org) throw new NotFound('Organization');
      const workflowId = seatSyncWorkflowId(organizationId);
      await temporal.workflow.signalWithStart(seatSyncWorkflow, {
        workflowId,
        taskQueue,
        args: [{ organizationId, partnerId: org.partnerId, ...timing }],
        signal: seatsChangedSignal,
        signalArgs: [],
      });
      return { workflowId };
    },

    /** The stored count changed elsewhere (the directory feed): nudges (or starts) the organization's seat sync. */
    async seatsChanged(organizationId: string, partnerId: string): Promise<{ workflowId: string }> {
      const workflowId = seatSyncWorkflowId(organizationId);
      await temporal.workflow.signalWithStart(seatSyncWorkflow, {
        workflowId,
        taskQueue,
        args: [{ organizationId, partnerId, ...timing }],
        signal: seatsChangedSignal,
        signalArgs: [],
      });
      return { workflowId };
    },

    /** The reported count and the seat-sync state (desired, pushed, status, last error). */
    async seatState(organizationId: string) {
      const state = await seatStateOf(db, organizationId);
      if (!state) throw new NotFound('Organization');
      return state;
    },
  };
}

export type SeatsClient = ReturnType<typeof createSeatsClient>;
