/** Ids of the scheduled per-connection workflows (Temporal appends the scheduled time to each run's id). */
export const reconcileWorkflowId = (connectionId: string) => `reconcile/${connectionId}`;
export const connectionHealthWorkflowId = (connectionId: string) => `health/${connectionId}`;

export interface ScheduledRunInput {
  connectionId: string;
}
