/** Names shared by the device-sync workflows, their activities and the client (no activity imports). */
import { defineSignal } from '@temporalio/workflow';

export const devicesChangedSignal = defineSignal('devicesChanged');
/** Same name the lifecycle's revoke sends to every running sync of the integration. */
export const deviceSyncRevokedSignal = defineSignal('integrationRevoked');

export const DEVICE_SYNC_WORKFLOW_TYPE = 'deviceSyncWorkflow';
export const DEVICE_SCHEDULE_PASS_WORKFLOW_TYPE = 'deviceSchedulePassWorkflow';

export const deviceSyncWorkflowId = (organizationId: string) => `devices/${organizationId}`;
export const deviceScheduleId = (connectionId: string) => `device-sync/${connectionId}`;

export interface DeviceSyncInput {
  organizationId: string;
  partnerId: string;
  /** Quiet period after the last change before syncing (ms). */
  debounceMs: number;
  /** How long an idle run waits for another change before it ends (ms). */
  idleMs: number;
  /** History length after which the run continues as new (default 2,000; tests set less). */
  continueAfterEvents?: number;
  /** What a run that continued as new hands to the next one. */
  carried?: DeviceSyncCarried;
}

/** The state a device-sync run carries into its continuation: counts, and whether changes wait. */
export interface DeviceSyncCarried {
  passes: number;
  batches: number;
  synced: number;
  failed: number;
  skipped: number;
  lastOutcome: string | null;
  /** Changes arrived that no pass has pushed yet (or a pass was cut short): the next run syncs at once. */
  pending: boolean;
}

export interface DeviceSchedulePassInput {
  connectionId: string;
  /** Timing of the device-sync runs it starts. */
  debounceMs: number;
  idleMs: number;
}
