/**
 * Records the device-sync histories the replay tier keeps (test/replay/histories/device-sync-*.json):
 * `RECORD_HISTORIES=1 npx jest test/workflow/device-sync-record` (`RECORD_ONLY=<name>,…` for some).
 * Skipped otherwise, so ordinary runs never rewrite committed fixtures. Payloads are sealed with
 * the replay tier's fixed key.
 *  - device-sync-plain: an initial sync of a few devices into HaloPSA, then the idle end;
 *  - device-sync-revoke: a run waiting out its debounce, stopped by the integration's revoke;
 *  - device-sync-long-before-continue-as-new: an organization that keeps reporting, past 2,000 events
 *    in one run, recorded by the code before runs continued as new (today's code would continue it,
 *    so re-recording it needs that code: keep the committed file);
 *  - device-sync-continued-first / -last: the first and the last run of a sync that continued as new
 *    between batches and after its pass (a lowered history limit).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { startStack, type Stack } from '../helpers/stack';
import { REPLAY_KEYS } from '../replay/keys';
import { saveHistory } from '../replay/histories';
import { seedTenants } from '../helpers/seed';
import { DEVICE_SYNC_WORKFLOW_TYPE, deviceSyncWorkflowId, devicesChangedSignal, deviceSyncRevokedSignal, type DeviceSyncInput } from '../../workflows/device-messages';
import { deviceSyncSetup, fastTiming, makeDevices } from './device-sync-kit';
import { runsUntilDone } from './device-sync-runs';

const named = (name: string) => (process.env.RECORD_ONLY ?? '').split(',').includes(name);
const maybe = (name: string) => (process.env.RECORD_HISTORIES && (!process.env.RECORD_ONLY || named(name)) ? test : test.skip);
/** The history from before continue-as-new is recorded only when named (with that code checked out). */
const maybeBefore = (name: string) => (process.env.RECORD_HISTORIES && named(name) ? test : test.skip);

let stack: Stack;
beforeAll(async () => {
  if (process.env.RECORD_HISTORIES) stack = await startStack('device-sync-record', { keys: REPLAY_KEYS });
});
afterAll(async () => {
  await stack?.close();
});

maybe('device-sync-plain')('record a plain device sync', async () => {
  const { client, organizationId } = await deviceSyncSetup(stack, 'halopsa', {});
  await client.reportSnapshotPart(organizationId, randomUUID(), { takenAt: new Date().toISOString(), part: 0, parts: 1, devices: makeDevices(3) });
  const handle = stack.client.workflow.getHandle(deviceSyncWorkflowId(organizationId));
  expect(await handle.result()).toMatchObject({ passes: 1, synced: 3 });
  await saveHistory(handle, 'device-sync-plain');
});

maybe('device-sync-revoke')('record a device sync stopped by revoke', async () => {
  const { organizationId, partner } = await deviceSyncSetup(stack, 'connectwise', {});
  const { createDevicesClient } = await import('../../client/devices');
  const slow = createDevicesClient({ db: stack.db, temporal: stack.client, taskQueue: stack.taskQueue, timing: { debounceMs: 600_000, idleMs: 600_000 } });
  await slow.reportChanges(organizationId, { changes: makeDevices(1).map((device) => ({ op: 'upsert' as const, device })) });
  const { createIntegrationsClient } = await import('../../client/integrations');
  const integrations = createIntegrationsClient({ temporal: stack.client, db: stack.db, keys: stack.deps.keys, taskQueue: stack.taskQueue, psa: stack.psa });
  await integrations.revoke(partner.id, 'connectwise', partner.users.admin);
  const handle = stack.client.workflow.getHandle(deviceSyncWorkflowId(organizationId));
  expect(await handle.result()).toMatchObject({ lastOutcome: 'revoked' });
  await saveHistory(handle, 'device-sync-revoke');
});

maybeBefore('device-sync-long-before-continue-as-new')('record a run past 2,000 events (an organization that keeps reporting)', async () => {
  const t = await seedTenants(stack.db, { organizationsPerPartner: 1 });
  const organizationId = t.direct.organizationIds[0] as string;
  const workflowId = deviceSyncWorkflowId(organizationId);
  const args: [DeviceSyncInput] = [{ organizationId, partnerId: t.direct.id, debounceMs: 10, idleMs: 600_000 }];
  const handle: WorkflowHandle = await stack.client.workflow.signalWithStart(DEVICE_SYNC_WORKFLOW_TYPE, { workflowId, taskQueue: stack.taskQueue, args, signal: devicesChangedSignal, signalArgs: [] });
  while ((await handle.describe()).historyLength < 2_100) {
    await handle.signal(devicesChangedSignal);
    await sleep(60);
  }
  await handle.signal(deviceSyncRevokedSignal);
  expect(await handle.result()).toMatchObject({ lastOutcome: 'revoked' });
  await saveHistory(handle, 'device-sync-long-before-continue-as-new');
});

maybe('device-sync-continued')('record a device sync that continued as new', async () => {
  const { client, organizationId, partner } = await deviceSyncSetup(stack, 'halopsa', {});
  const workflowId = deviceSyncWorkflowId(organizationId);
  // Started with a lowered history limit; the reports then only signal it.
  const args: [DeviceSyncInput] = [{ organizationId, partnerId: partner.id, debounceMs: 1_000, idleMs: fastTiming.idleMs, continueAfterEvents: 20 }];
  const first = await stack.client.workflow.start(DEVICE_SYNC_WORKFLOW_TYPE, { workflowId, taskQueue: stack.taskQueue, args });
  const devices = makeDevices(1_100);
  for (let i = 0; i < devices.length; i += 500) await client.reportChanges(organizationId, { changes: devices.slice(i, i + 500).map((device) => ({ op: 'upsert' as const, device })) });
  const { runIds, last } = await runsUntilDone(stack.client, workflowId, first.firstExecutionRunId);
  expect(runIds.length).toBeGreaterThan(2);
  expect(await last.result()).toMatchObject({ passes: 1, synced: 1_100, failed: 0 });
  await saveHistory(stack.client.workflow.getHandle(workflowId, runIds[0]), 'device-sync-continued-first');
  await saveHistory(last, 'device-sync-continued-last');
});
