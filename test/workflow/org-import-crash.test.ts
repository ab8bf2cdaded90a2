/**
 * A worker SIGKILLed in the middle of an organization import batch: the batch resumes on the
 * next worker, its progress is readable while it runs, and no PSA company is made twice (each
 * create looks the company up by name first).
 */
import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants } from '../helpers/seed';
import { connectIntegration, simFixtures } from '../helpers/integration-fixture';
import { startWorkerProcess, type WorkerProcess, workerEnvFor } from '../helpers/worker-process';
import { integrationsPath } from './integration-kit';
import { waitFor } from './tickets-helpers';

let stack: Stack;
let worker: WorkerProcess | null = null;

const workerEnv = workerEnvFor;

beforeAll(async () => {
  stack = await startStack('org-import-crash');
});
afterAll(async () => {
  await worker?.stop();
  await stack?.close();
});

test('killed while a company is being created: the batch resumes, every company exists once, progress is visible meanwhile', async () => {
  const t = await seedTenants(stack.db, { organizationsPerPartner: 2 });
  const owner = t.master.users.owner;
  await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId: t.master.id, psa: 'halopsa', organizationIds: [] });
  const tag = randomUUID().slice(0, 8);
  const names = Array.from({ length: 6 }, (_, i) => `Crash Import ${tag} ${i + 1}`);
  const created = await stack.db
    .insertInto('organizations')
    .values(names.map((name) => ({ partnerId: t.master.id, planId: t.master.planId, name, seatCount: 2 })))
    .returning('id')
    .execute();
  const { organization } = simFixtures('halopsa');
  const rows = [
    ...t.master.organizationIds.map((organizationId) => ({ organizationId, action: 'map', values: organization })),
    ...created.map((o) => ({ organizationId: o.id, action: 'create' })),
  ];

  await stack.stopWorker();
  worker = await startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });
  const halo = stack.sims.halopsa;
  halo.server.reset();
  // The third company's create hangs in the PSA; the kill lands while it is in flight.
  const hang = halo.server.addFault({ method: 'POST', path: '^/api/Client$', kind: 'latency', ms: 3000, times: 1 });
  const res = await stack.api('POST', integrationsPath(t.master.id, 'halopsa', '/organization-import'), owner, { rows, createUnder: '1' });
  expect(res.status).toBe(202);
  const progressPath = integrationsPath(t.master.id, 'halopsa', `/organization-import/${res.body.batchId}`);
  await waitFor('the create request to hang', async () => hang.used > 0, 30_000, 20);

  const midway = await stack.api('GET', progressPath, owner);
  expect(midway.status).toBe(200);
  expect(midway.body).toMatchObject({ total: 8, finished: false });
  expect(midway.body.done).toBeLessThan(8);

  await worker.kill();
  worker = await startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });

  const done = await waitFor(
    'the batch to finish on the new worker',
    async () => {
      const r = await stack.api('GET', progressPath, owner);
      return r.status === 200 && r.body.finished ? r.body : null;
    },
    90_000,
    250,
  );
  expect(done).toMatchObject({ total: 8, done: 8, mapped: 2 });
  // A new customer has no software licence yet: mapped later, once it has one (see the refusal code).
  const createdRows = done.rows.filter((r: any) => created.some((o) => o.id === r.organizationId));
  expect(createdRows.map((r: any) => r.code)).toEqual(Array(6).fill('import_billing_unresolved'));
  expect(createdRows.every((r: any) => typeof r.companyId === 'string')).toBe(true);

  // Each company exists exactly once in the PSA, under the chosen top level.
  for (const name of names) {
    const found = halo.state.data.clients.filter((c) => c.name === name);
    expect(found).toHaveLength(1);
    expect(found[0]?.toplevel_id).toBe(1);
  }
  const held = halo.server.log.filter((e) => e.fault === 'latency');
  expect(held).toHaveLength(1); // the kill hit mid-create …
  expect(held[0]?.status).toBeLessThan(300); // … and the PSA made that company all the same
  const posts = halo.server.log.filter((e) => e.method === 'POST' && /^\/api\/Client$/i.test(e.path) && e.status < 300);
  expect(posts).toHaveLength(6); // so the retry found it by name instead of posting it again
  expect(new Set(createdRows.map((r: any) => r.companyId)).size).toBe(6);
  const maps = await stack.db.selectFrom('organizationMappings').select('organizationId').where('organizationId', 'in', t.master.organizationIds).execute();
  expect(maps).toHaveLength(2);
}, 180_000);
