/**
 * Device sync: one workflow per organization (`devices/<organizationId>`), started or nudged with
 * signal-with-start whenever the platform reports inventory (or the connection's schedule finds
 * the organization behind). Changes are debounced, then every connection that syncs the
 * organization's devices is brought up to date in batches. Each batch commits its outcome in
 * PostgreSQL before the next starts, so a run that dies resumes where the last batch ended; the
 * workflow itself carries counts only. Past DEVICE_SYNC_HISTORY_LIMIT events (a large inventory,
 * or an organization that keeps reporting), a run continues as new between batches or after a
 * pass, handing on its counts and whether changes are waiting.
 *
 * `deviceSchedulePassWorkflow` is what the per-connection Temporal Schedule starts: it nudges
 * the sync of every organization whose devices the connection has not caught up with.
 */
import { condition, continueAsNew, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createDeviceActivities } from '../activities/devices';
import { NON_RETRYABLE, dbActivity } from './options';
import { OrganizationIdKey, PartnerIdKey } from './search-attributes';
import { devicesChangedSignal, deviceSyncRevokedSignal, type DeviceSchedulePassInput, type DeviceSyncCarried, type DeviceSyncInput } from './device-messages';

type DeviceActivities = ReturnType<typeof createDeviceActivities>;

export { devicesChangedSignal, deviceSyncRevokedSignal, deviceSyncWorkflowId, deviceScheduleId } from './device-messages';
export type { DeviceSyncInput, DeviceSchedulePassInput, DeviceSyncCarried } from './device-messages';

export type DeviceSyncSummary = Omit<DeviceSyncCarried, 'pending'>;

/** History length past which a run continues as new (a batch adds about six events). */
export const DEVICE_SYNC_HISTORY_LIMIT = 2_000;
const CONTINUE_AS_NEW_PATCH = 'device-sync-continue-as-new';

const local = proxyActivities<DeviceActivities>(dbActivity);
// A batch writes up to a few hundred configurations; it heartbeats every 2 s, so a dead worker's
// batch is retried after seconds, and the retry starts by finding its own creates. The heartbeat
// timeout is what detects a dead worker; start-to-close only bounds a live one, and a batch into
// a PSA with an hourly budget and no batch form (one request per create, 10,000 an hour shared with
// everything else the connection does) can wait most of an hour for that budget, hence 2 h.
const remote = proxyActivities<DeviceActivities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
});

export async function deviceSyncWorkflow(input: DeviceSyncInput): Promise<DeviceSyncSummary> {
  upsertSearchAttributes([
    { key: OrganizationIdKey, value: input.organizationId },
    { key: PartnerIdKey, value: input.partnerId },
  ]);
  const carried = input.carried;
  // Being started means a change happened; a run continued with nothing waiting starts idle.
  let changes = carried && !carried.pending ? 0 : 1;
  let revoked = false;
  setHandler(devicesChangedSignal, () => {
    changes += 1;
  });
  setHandler(deviceSyncRevokedSignal, () => {
    revoked = true;
  });
  const summary: DeviceSyncSummary = carried
    ? { passes: carried.passes, batches: carried.batches, synced: carried.synced, failed: carried.failed, skipped: carried.skipped, lastOutcome: carried.lastOutcome }
    : { passes: 0, batches: 0, synced: 0, failed: 0, skipped: 0, lastOutcome: null };
  const stopped = () => ({ ...summary, lastOutcome: 'revoked' });
  const historyLimit = input.continueAfterEvents ?? DEVICE_SYNC_HISTORY_LIMIT;
  // Past the limit the run hands its counts to a new run; the devices' progress is in PostgreSQL.
  // Behind a patch: a history recorded before it replays as it ran.
  const continueIfLong = async (pending: boolean): Promise<void> => {
    if (workflowInfo().historyLength < historyLimit || !patched(CONTINUE_AS_NEW_PATCH)) return;
    await continueAsNew<typeof deviceSyncWorkflow>({ ...input, carried: { ...summary, pending } });
  };
  let pushedFor = 0;
  let batchesThisRun = 0;
  let idleFirst = changes === 0;
  for (;;) {
    if (!idleFirst) {
      for (let seen = changes; ; seen = changes) {
        await condition(() => changes !== seen || revoked, input.debounceMs);
        if (changes === seen || revoked) break;
      }
      if (revoked) return stopped();
      pushedFor = changes;
      const targets = await local.deviceSyncTargets(input.organizationId);
      for (const connectionId of targets) {
        for (;;) {
          if (revoked) return stopped();
          // Cut short between batches, the next run's pass picks up where this one stopped (only
          // after a batch of this run: a run always moves the sync on before it hands over).
          if (batchesThisRun > 0) await continueIfLong(true);
          const r = await remote.syncDeviceBatch({ organizationId: input.organizationId, connectionId });
          batchesThisRun += 1;
          summary.batches += 1;
          summary.synced += r.synced;
          summary.failed += r.failed;
          summary.skipped += r.skipped;
          if (r.done) break;
        }
      }
      summary.passes += 1;
      summary.lastOutcome = targets.length ? 'synced' : 'no_target';
      await continueIfLong(changes !== pushedFor);
      if (changes !== pushedFor) continue;
    }
    idleFirst = false;
    const more = await condition(() => changes !== pushedFor || revoked, input.idleMs);
    if (revoked) return stopped();
    if (!more) return summary;
  }
}

/** The scheduled incremental pass of one connection: nudge each organization that is behind. */
export async function deviceSchedulePassWorkflow(input: DeviceSchedulePassInput): Promise<{ nudged: number }> {
  return { nudged: await local.nudgeDeviceSyncs(input) };
}
