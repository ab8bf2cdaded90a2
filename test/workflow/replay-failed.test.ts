import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect';
import { systemCheckWorkflow } from '../../workflows';
import { replayFailedRuns, NothingToReplayError } from '../../client/replay';
import { createDataConverter } from '../../security/data-converter';
import { offlineDeps, testDb, testKeys, uniqueTaskQueue } from '../helpers/env';
import { temporalTestContext, type TemporalTestContext } from '../helpers/temporal';

let t: TemporalTestContext;
let db: Db;
beforeAll(async () => {
  db = testDb();
  t = await temporalTestContext(testKeys());
});
afterAll(async () => {
  await t.close();
  await db.destroy();
});

test('support runs a terminated sync again with its original arguments, once', async () => {
  const taskQueue = uniqueTaskQueue('replay-failed');
  const workflowId = `system-check-${randomUUID()}`;
  const requestedBy = `support-${randomUUID()}`;
  // No worker yet: the run sits until ops terminate it, as a stuck sync would.
  const first = await t.client.workflow.start(systemCheckWorkflow, { taskQueue, workflowId, args: [requestedBy] });
  await first.terminate('stuck');

  const converter = createDataConverter(testKeys());
  const dry = await replayFailedRuns(t.client, converter, { workflowId, dryRun: true });
  expect(dry).toEqual([{ workflowId, workflowType: 'systemCheckWorkflow', previousStatus: 'TERMINATED', newRunId: null }]);

  const w = await t.startWorker(taskQueue, offlineDeps(db, t.client));
  try {
    const lines: string[] = [];
    const [replayed] = await replayFailedRuns(t.client, converter, { workflowId }, (l) => lines.push(l));
    expect(replayed?.newRunId).toBeTruthy();
    const result = await t.client.workflow.getHandle(workflowId, replayed!.newRunId!).result();
    const row = await db.selectFrom('auditLog').select('actor').where('id', '=', result.auditId).executeTakeFirstOrThrow();
    expect(row.actor).toBe(requestedBy);
    expect(lines[0]).toMatch(/^restarted/);
    // Its latest run completed: nothing is left to run again.
    await expect(replayFailedRuns(t.client, converter, { workflowId })).resolves.toEqual([]);
  } finally {
    await w.stop();
  }
  await expect(replayFailedRuns(t.client, converter, { workflowId: `nope-${randomUUID()}` })).rejects.toBeInstanceOf(NothingToReplayError);
});
