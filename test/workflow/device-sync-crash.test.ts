/**
 * A worker SIGKILLed again and again during a 2,000-device initial sync (each kill while a
 * batch of creates is claimed and in flight), plus a create whose answer the PSA drops: in the
 * end every device has exactly one configuration, none is lost, and the resumed runs continued
 * from the last recorded batch (the PSA saw about one batch of creates per kill more than
 * needed, not the whole inventory again).
 */
import { randomUUID } from 'node:crypto';
import type { PsaKind } from '../../psa/core/types';
import { startStack, type Stack } from '../helpers/stack';
import { startWorkerProcess, type WorkerProcess, workerEnvFor } from '../helpers/worker-process';
import { deviceSyncWorkflowId } from '../../workflows/device-sync';
import { waitFor } from './tickets-helpers';
import { deviceSyncSetup, makeDevices, simConfigs } from './device-sync-kit';

let stack: Stack;
let worker: WorkerProcess | null = null;

const workerEnv = workerEnvFor;

beforeAll(async () => {
  stack = await startStack('device-crash');
});
afterEach(async () => {
  await worker?.kill();
  worker = null;
});
afterAll(async () => {
  await stack?.close();
});

const DEVICES = 2000;
const KILLS = 5;

const CREATE_PATH: Record<'connectwise' | 'halopsa', RegExp> = { connectwise: /company\/configurations\/bulk$/i, halopsa: /\/Asset$/i };

test.each<'connectwise' | 'halopsa'>(['halopsa', 'connectwise'])(
  '%s: SIGKILLed repeatedly during a 2,000-device initial sync: no duplicate, none lost, resumed from the checkpoint',
  async (psa: PsaKind & ('connectwise' | 'halopsa')) => {
    await stack.stopWorker(); // only worker processes from here on, so a kill takes every poller down
    worker = await startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });
    const { client, organizationId, fx } = await deviceSyncSetup(stack, psa, {});
    const sim = stack.sims[psa].server;
    // Every create request is slowed so kills land mid-request; one create's answer is lost after the commit.
    sim.addFault({ method: 'POST', path: CREATE_PATH[psa].source, kind: 'latency', ms: 250 });
    sim.addFault({ method: 'POST', path: CREATE_PATH[psa].source, kind: 'commit_then_drop', times: 1 });
    const creates = () => sim.log.filter((e) => e.method === 'POST' && CREATE_PATH[psa].test(e.path)).length;
    const before = simConfigs(stack, psa).length;
    const createsBefore = creates();

    const devices = makeDevices(DEVICES);
    const snapshotId = randomUUID();
    const takenAt = new Date().toISOString();
    for (let part = 0; part < DEVICES / 500; part += 1) {
      await client.reportSnapshotPart(organizationId, snapshotId, { takenAt, part, parts: DEVICES / 500, devices: devices.slice(part * 500, part * 500 + 500) });
    }

    // A claim made after the last restart: the new worker is mid-batch (older claims are the killed attempt's).
    let restartedAt = new Date(0);
    const claimed = () =>
      stack.db
        .selectFrom('deviceLinks')
        .select('deviceId')
        .where('connectionId', '=', fx.connectionId)
        .where('status', '=', 'creating')
        .where('claimedAt', '>', restartedAt)
        .limit(1)
        .executeTakeFirst();
    const syncedCount = async () =>
      (await stack.db.selectFrom('deviceLinks').select(stack.db.fn.countAll<string>().as('n')).where('connectionId', '=', fx.connectionId).where('status', '=', 'synced').executeTakeFirstOrThrow()).n;
    const progress: string[] = [];
    let kills = 0;
    for (; kills < KILLS; kills += 1) {
      // Kill once this worker has recorded progress of its own and has the next creates in flight.
      const floor = Number(progress[progress.length - 1] ?? 0);
      await waitFor('progress and a batch of creates in flight', async () => Number(await syncedCount()) > floor && (await claimed()), 180_000, 20);
      await worker.kill();
      progress.push(String(await syncedCount()));
      worker = await startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });
      restartedAt = new Date();
    }
    const summary = await stack.client.workflow.getHandle(deviceSyncWorkflowId(organizationId)).result();
    expect(summary).toMatchObject({ failed: 0 });

    const configs = simConfigs(stack, psa);
    const ours = new Map<string, number>();
    for (const c of configs) if (c.deviceId) ours.set(c.deviceId, (ours.get(c.deviceId) ?? 0) + 1);
    const duplicates = devices.filter((d) => (ours.get(d.deviceId) ?? 0) > 1).length;
    const lost = devices.filter((d) => !ours.has(d.deviceId)).length;
    expect({ duplicates, lost }).toEqual({ duplicates: 0, lost: 0 });
    expect(configs.length - before).toBe(DEVICES);
    expect(Number(await syncedCount())).toBe(DEVICES);
    // Progress recorded before each kill only grows: no restart from zero.
    const counts = progress.map(Number);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts[counts.length - 1]).toBeGreaterThan(counts[0] as number);
    const batchesNeeded = DEVICES / 100;
    const sent = creates() - createsBefore;
    // Each kill costs at most the batch it interrupted (sent again after the lookup finds it missing).
    expect(sent).toBeLessThanOrEqual(batchesNeeded + kills + 1);
    console.log(`[device-crash] ${psa}: ${DEVICES} devices, ${kills} SIGKILLs + 1 dropped create answer; synced before each kill: ${progress.join(', ')}; create requests ${sent} (needed ${batchesNeeded}); duplicates ${duplicates}, lost ${lost}`);
    sim.clearFaults();
  },
  600_000,
);
