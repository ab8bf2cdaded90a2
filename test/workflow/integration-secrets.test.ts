/**
 * Secrets never leave the sealed column: after connects that succeed and fail (and a rejected
 * re-entry), and the scheduled reconcile and health runs that use them, the secret appears in no
 * workflow history (raw or decrypted), no log line and no plaintext column of the database.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Payload } from '@temporalio/common';
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants } from '../helpers/seed';
import { EncryptionCodec } from '../../security/codec';
import { integrationWorkflowId } from '../../workflows/integration-messages';
import { healthScheduleId, reconcileScheduleId } from '../../infra/connection-schedules';
import { integrationsPath, PSAS, vendorKits } from './integration-kit';
import { waitFor } from './tickets-helpers';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('integration-secrets');
});
afterAll(async () => {
  await stack?.close();
});

/** Every byte string inside a history, raw, plus every payload decrypted by our codec. */
async function historyTexts(history: unknown, codec: EncryptionCodec): Promise<string[]> {
  const texts: string[] = [JSON.stringify(history)];
  const payloads: Payload[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 40 || v === null || typeof v !== 'object') return;
    if (v instanceof Uint8Array) {
      texts.push(Buffer.from(v).toString('utf8'), Buffer.from(v).toString('latin1'));
      return;
    }
    const o = v as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') payloads.push(o as Payload);
    for (const child of Object.values(o)) walk(child, depth + 1);
  };
  walk(history, 0);
  for (const p of await codec.decode(payloads)) texts.push(Buffer.from(p.data ?? new Uint8Array()).toString('utf8'));
  return texts;
}

test('a planted secret is nowhere: histories, logs, database text', async () => {
  const kits = vendorKits(stack);
  const codec = new EncryptionCodec(stack.deps.keys);
  const t = await seedTenants(stack.db);
  const sentinels: string[] = [];
  const workflowIds: string[] = [];

  for (const psa of PSAS) {
    const kit = kits[psa];
    const path = integrationsPath(t.master.id, psa);
    // Failure first: a sentinel secret the PSA refuses.
    const planted = `SENTINEL-${randomUUID()}`;
    sentinels.push(planted);
    const failed = await stack.api('POST', `${path}/connect`, t.master.users.owner, { credentials: { ...kit.credentials(), [kit.secretField]: planted } });
    expect(failed.status).toBe(409);
    // Success: the real secret is the sentinel now.
    const real = kit.credentials()[kit.secretField] as string;
    sentinels.push(real);
    expect((await stack.api('POST', `${path}/connect`, t.master.users.owner, { credentials: kit.credentials() })).status).toBe(201);
    // A rejected re-entry of credentials.
    const reentered = `SENTINEL-${randomUUID()}`;
    sentinels.push(reentered);
    expect((await stack.api('POST', `${path}/test`, t.master.users.owner, { credentials: { ...kit.credentials(), [kit.secretField]: reentered } })).status).toBe(409);
    workflowIds.push(integrationWorkflowId(t.master.id, psa));
  }

  const haystacks: string[] = [];
  for (const id of workflowIds) {
    const history = await stack.client.workflow.getHandle(id).fetchHistory();
    expect(history.events?.length).toBeGreaterThan(5);
    haystacks.push(...(await historyTexts(history, codec)));
  }
  // The decrypted payloads are really searched: the connection ids the workflow carries are there.
  const liveIds = await stack.db.selectFrom('connections').select('id').where('partnerId', '=', t.master.id).where('status', '=', 'connected').execute();
  expect(liveIds).toHaveLength(PSAS.length);
  for (const { id } of liveIds) expect(haystacks.some((h) => h.includes(`"connectionId":"${id}"`))).toBe(true);
  // The scheduled reconcile and health runs of each connection, triggered through the API.
  for (const psa of PSAS) {
    expect((await stack.api('POST', integrationsPath(t.master.id, psa, '/reconcile'), t.master.users.owner)).status).toBe(202);
    expect((await stack.api('POST', integrationsPath(t.master.id, psa, '/health-check'), t.master.users.owner)).status).toBe(202);
  }
  for (const { id } of liveIds) {
    for (const scheduleId of [reconcileScheduleId(id), healthScheduleId(id)]) {
      const started = await waitFor(`a run of ${scheduleId}`, async () => (await stack.client.schedule.getHandle(scheduleId).describe()).info.recentActions[0], 15_000);
      const run = stack.client.workflow.getHandle(started.action.workflow.workflowId, started.action.workflow.firstExecutionRunId);
      await run.result();
      haystacks.push(...(await historyTexts(await run.fetchHistory(), codec)));
    }
  }
  haystacks.push(...stack.logLines);
  for (const table of ['connections', 'audit_log', 'ticket_mappings', 'pending_credentials']) {
    const { rows } = await sql<{ line: string }>`select t::text as line from ${sql.table(table)} t`.execute(stack.db);
    haystacks.push(...rows.map((r) => r.line));
  }
  expect(haystacks.length).toBeGreaterThan(20);
  for (const secret of sentinels) {
    const hits = haystacks.filter((h) => h.includes(secret));
    expect({ secret, hits }).toEqual({ secret, hits: [] });
  }
  // The stored credentials do hold the real secret — sealed, and only there.
  const row = await stack.db.selectFrom('connections').select(['id', 'credentials']).where('partnerId', '=', t.master.id).where('psa', '=', 'halopsa').executeTakeFirstOrThrow();
  expect(JSON.stringify(stack.deps.keys.openJson(row.credentials as Buffer, `connections:${row.id}`))).toContain(kits.halopsa.credentials().clientSecret);
});
