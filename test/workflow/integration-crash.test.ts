/**
 * A worker SIGKILLed in the middle of connect or revoke: the Update still completes on the next
 * worker, nothing is lost, and no PSA write takes effect twice (the simulator's request log).
 */
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants } from '../helpers/seed';
import { startWorkerProcess, type WorkerProcess, workerEnvFor } from '../helpers/worker-process';
import { createAdapterProvider } from '../../infra/psa-adapters';
import { ensureTicketWebhook } from '../../activities/tickets-webhooks';
import { integrationsPath, psaWrites, vendorKits, type VendorKit } from './integration-kit';
import { waitFor } from './tickets-helpers';

let stack: Stack;
let halo: VendorKit;
let worker: WorkerProcess | null = null;

const workerEnv = workerEnvFor;

beforeAll(async () => {
  stack = await startStack('integration-crash');
  halo = vendorKits(stack).halopsa;
});
afterEach(async () => {
  await worker?.stop();
  worker = null;
  // The next test starts with the in-process worker again (processWorker() stops it).
  await stack.restartWorker();
});
afterAll(async () => {
  await stack?.close();
});

/** Resolves once the simulator holds the faulted request: the kill then lands mid-call. */
const held = (fault: { readonly used: number }) => waitFor('the faulted PSA request to arrive', async () => fault.used > 0, 10_000, 20);

/** Swaps the in-process worker for an OS process we can SIGKILL. */
async function processWorker(): Promise<WorkerProcess> {
  await stack.stopWorker();
  return startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });
}

test('killed while testing the credentials of a connect: the next worker finishes it, one row, no PSA write', async () => {
  const t = await seedTenants(stack.db);
  worker = await processWorker();
  halo.sim.reset();
  const hang = halo.sim.addFault({ method: 'GET', kind: 'latency', ms: 3000, times: 1 }); // the connection test hangs
  const pending = stack.api('POST', integrationsPath(t.master.id, 'halopsa', '/connect'), t.master.users.owner, { credentials: halo.credentials() });
  await held(hang);
  await worker.kill();
  worker = await startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });

  const res = await pending;
  expect(res.status).toBe(201);
  const rows = await stack.db.selectFrom('connections').select(['id', 'status', 'health']).where('partnerId', '=', t.master.id).execute();
  expect(rows).toEqual([{ id: res.body.connectionId, status: 'connected', health: 'healthy' }]);
  expect(halo.sim.log.filter((e) => e.fault === 'latency')).toHaveLength(1); // the crash hit mid-call
  expect(halo.sim.log.filter((e) => e.method === 'GET').length).toBeGreaterThanOrEqual(2); // and the test ran again
  expect(psaWrites(halo.sim)).toEqual([]);
  const audits = await stack.db.selectFrom('auditLog').select('outcome').where('partnerId', '=', t.master.id).where('action', '=', 'integration.connect').execute();
  expect(audits).toEqual([{ outcome: 'ok' }]);
});

test('killed while revoke unsubscribes the PSA webhook: revoke completes, the subscription is removed exactly once', async () => {
  const t = await seedTenants(stack.db);
  const [orgId] = t.master.organizationIds as [string];
  const owner = t.master.users.owner;
  const connect = await stack.api('POST', integrationsPath(t.master.id, 'halopsa', '/connect'), owner, { credentials: halo.credentials() });
  expect(connect.status).toBe(201);
  const connectionId = connect.body.connectionId as string;
  expect((await stack.api('PUT', integrationsPath(t.master.id, 'halopsa', `/organization-mappings/${orgId}`), owner, { values: halo.fixtures.organization })).status).toBe(200);
  await ensureTicketWebhook(stack.deps, createAdapterProvider(stack.db, stack.deps.keys, stack.psa), connectionId);
  const { webhookSubscriptionId } = await stack.db.selectFrom('connections').select('webhookSubscriptionId').where('id', '=', connectionId).executeTakeFirstOrThrow();
  expect(webhookSubscriptionId).toBeTruthy();
  expect(stack.sims.halopsa.state.data.webhooks.some((w) => String(w.id) === webhookSubscriptionId)).toBe(true);

  worker = await processWorker();
  halo.sim.reset();
  const hang = halo.sim.addFault({ method: 'DELETE', kind: 'latency', ms: 3000, times: 1 });
  const pending = stack.api('POST', integrationsPath(t.master.id, 'halopsa', '/revoke'), owner);
  await held(hang);
  await worker.kill();
  worker = await startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });

  const res = await pending;
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ connectionId, unlinkedOrganizations: 1, webhookUnsubscribed: true });
  const row = await stack.db.selectFrom('connections').selectAll().where('id', '=', connectionId).executeTakeFirstOrThrow();
  expect(row).toMatchObject({ status: 'revoked', credentials: null, webhookSubscriptionId: null });
  expect(await stack.db.selectFrom('organizationMappings').select('id').where('connectionId', '=', connectionId).execute()).toEqual([]);
  expect(stack.sims.halopsa.state.data.webhooks.some((w) => String(w.id) === webhookSubscriptionId)).toBe(false);

  const deletes = psaWrites(halo.sim).filter((e) => e.method === 'DELETE');
  expect(deletes.filter((e) => e.fault === 'latency')).toHaveLength(1); // the kill landed during the write
  expect(deletes.filter((e) => e.status >= 200 && e.status < 300)).toHaveLength(1); // it took effect once
  expect(psaWrites(halo.sim).filter((e) => e.method !== 'DELETE')).toEqual([]); // nothing else was written
});
