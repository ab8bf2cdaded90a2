/**
 * A device-sync run whose history grows past its limit continues as new and hands on what it
 * knows: between batches of a long pass (the next run picks up at the next batch, counts carried),
 * and after a pass during which changes arrived (the next run syncs them at once). The limit is
 * lowered through the input (2,000 by default). Real Temporal, PostgreSQL and the HaloPSA simulator.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startStack, type Stack } from '../helpers/stack';
import { DEVICE_SYNC_WORKFLOW_TYPE, deviceSyncWorkflowId, type DeviceSyncInput } from '../../workflows/device-messages';
import { deviceSyncSetup, fastTiming, makeDevices, simConfigs } from './device-sync-kit';
import { runsUntilDone } from './device-sync-runs';
import type { DeviceReport } from '../../domain/devices';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('device-sync-continue');
});
afterAll(() => stack.close());

const configurationsOf = (deviceId: string) => simConfigs(stack, 'halopsa').filter((c) => c.deviceId === deviceId);

async function startLimited(organizationId: string, partnerId: string, debounceMs: number) {
  const args: [DeviceSyncInput] = [{ organizationId, partnerId, debounceMs, idleMs: fastTiming.idleMs, continueAfterEvents: 20 }];
  const workflowId = deviceSyncWorkflowId(organizationId);
  const first = await stack.client.workflow.start(DEVICE_SYNC_WORKFLOW_TYPE, { workflowId, taskQueue: stack.taskQueue, args });
  return { workflowId, firstRunId: first.firstExecutionRunId };
}

test('a long pass continues as new between batches; the next run picks up at the next batch with the counts carried', async () => {
  const { client, organizationId, partner } = await deviceSyncSetup(stack, 'halopsa', {});
  const { workflowId, firstRunId } = await startLimited(organizationId, partner.id, 1_000);
  const devices = makeDevices(1_100); // three batches of up to 500
  for (let i = 0; i < devices.length; i += 500) await client.reportChanges(organizationId, { changes: devices.slice(i, i + 500).map((device) => ({ op: 'upsert' as const, device })) });

  const { runIds, last } = await runsUntilDone(stack.client, workflowId, firstRunId);
  // One batch per run after the first crossed the limit, then an idle run after the pass.
  expect(runIds.length).toBeGreaterThanOrEqual(3);
  expect(await last.result()).toEqual({ passes: 1, batches: 3, synced: 1_100, failed: 0, skipped: 0, lastOutcome: 'synced' });
  for (const d of devices) expect(configurationsOf(d.deviceId)).toHaveLength(1);
});

test('changes that arrive during a pass are carried into the next run and synced there', async () => {
  const { client, organizationId, partner, fx } = await deviceSyncSetup(stack, 'halopsa', {});
  const sim = stack.sims.halopsa.server;
  sim.addFault({ method: 'POST', path: '/Asset$', kind: 'latency', ms: 1_500 });
  try {
    const { workflowId, firstRunId } = await startLimited(organizationId, partner.id, 200);
    const devices = makeDevices(2);
    const [early, late] = devices as [DeviceReport, DeviceReport];
    await client.reportChanges(organizationId, { changes: [{ op: 'upsert', device: early }] });
    // The first pass is sending its create: the second device is reported mid-pass.
    const claimed = () => stack.db.selectFrom('deviceLinks').select('deviceId').where('connectionId', '=', fx.connectionId).where('status', '=', 'creating').execute();
    for (let i = 0; (await claimed()).length === 0; i += 1) {
      if (i > 200) throw new Error('the first pass never claimed its create');
      await sleep(25);
    }
    await client.reportChanges(organizationId, { changes: [{ op: 'upsert', device: late }] });

    const { runIds, last } = await runsUntilDone(stack.client, workflowId, firstRunId);
    // The first run continued after its pass with the change waiting; the next run synced it.
    expect(runIds.length).toBeGreaterThanOrEqual(2);
    expect(await last.result()).toMatchObject({ passes: 2, synced: 2, failed: 0, lastOutcome: 'synced' });
    for (const d of devices) expect(configurationsOf(d.deviceId)).toHaveLength(1);
  } finally {
    sim.clearFaults();
  }
});
