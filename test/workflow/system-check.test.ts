import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect';
import { systemCheckWorkflow } from '../../workflows';
import { offlineDeps, testDb, testKeys, uniqueTaskQueue } from '../helpers/env';
import { temporalTestContext, type TemporalTestContext } from '../helpers/temporal';
import { ENCRYPTED_ENCODING } from '../../security/codec';

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

test('client → Temporal → worker → PostgreSQL and back, with encrypted payloads in history', async () => {
  const taskQueue = uniqueTaskQueue('system-check');
  const w = await t.startWorker(taskQueue, offlineDeps(db, t.client));
  try {
    const requestedBy = `ops-${randomUUID()}`;
    const handle = await t.client.workflow.start(systemCheckWorkflow, { taskQueue, workflowId: `system-check-${randomUUID()}`, args: [requestedBy] });
    const result = await handle.result();

    const row = await db.selectFrom('auditLog').selectAll().where('id', '=', result.auditId).executeTakeFirstOrThrow();
    expect(row.actor).toBe(requestedBy);
    expect(row.action).toBe('system.check');
    expect(result.serverVersion).toMatch(/^1[5-9]/);

    // The raw history holds only sealed payloads: the actor string is nowhere in plaintext.
    const history = await handle.fetchHistory();
    const raw = JSON.stringify(history);
    expect(raw).not.toContain(requestedBy);
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const encoding = Buffer.from(started?.input?.payloads?.[0]?.metadata?.encoding as Uint8Array).toString();
    expect(encoding).toBe(ENCRYPTED_ENCODING);
  } finally {
    await w.stop();
  }
});
