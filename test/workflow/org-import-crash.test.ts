/**
 * A worker SIGKILLed in the middle of an organization import batch: the batch resumes on the
 * next worker, its progress is readable while it runs, and no PSA company is made twice (each
 * create looks the company up by name first). Per PSA, a worker killed while a billing object is
 * being written, and a write whose answer is lost, leave every company and every billing object
 * made once and every accepted row mapped with its billing object.
 */
import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants } from '../helpers/seed';
import { connectIntegration, simFixtures } from '../helpers/integration-fixture';
import type { PsaKind } from '../../psa/core/types';
import { startWorkerProcess, type WorkerProcess, workerEnvFor } from '../helpers/worker-process';
import { integrationsPath } from './integration-kit';
import { waitFor } from './tickets-helpers';

let stack: Stack;
let worker: WorkerProcess | null = null;

const workerEnv = workerEnvFor;
let inProcessStopped = false;
/** The stack's in-process worker gives way to worker processes (once per file). */
async function stopInProcessWorker(): Promise<void> {
  if (inProcessStopped) return;
  inProcessStopped = true;
  await stack.stopWorker();
}

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
  // Billing off here: this test is about the companies (the next ones cover billing objects).
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

  await stopInProcessWorker();
  worker = await startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });
  const halo = stack.sims.halopsa;
  halo.server.reset();
  // The third company's create hangs in the PSA; the kill lands while it is in flight.
  const hang = halo.server.addFault({ method: 'POST', path: '^/api/Client$', kind: 'latency', ms: 3000, times: 1 });
  const res = await stack.api('POST', integrationsPath(t.master.id, 'halopsa', '/organization-import'), owner, { rows, createUnder: '1', createBilling: false });
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

/** Per PSA: the billing write the kill lands on, and another whose answer is lost (committed, then the connection drops). */
const BILLING_WRITES: Record<PsaKind, { hang: string; drop: string }> = {
  connectwise: { hang: '/finance/agreements$', drop: '/finance/agreements/\\d+/additions$' },
  autotask: { hang: '/Contracts/\\d+/Services$', drop: '/Contracts$' },
  halopsa: { hang: '^/api/SoftwareLicence$', drop: '^/api/Client$' },
};

/** The billing objects named `name` the PSA holds for `companyId`: [objects, lines on them, the lines' quantities]. */
function billingHeld(psa: PsaKind, companyId: string, name: string): [number, number, number[]] {
  if (psa === 'connectwise') {
    const data = stack.sims.connectwise.state.data;
    const agreements = data.agreements.filter((a) => String(a.company.id) === companyId && a.name === name);
    const lines = data.additions.filter((x) => agreements.some((a) => a.id === x.agreementId));
    return [agreements.length, lines.length, lines.map((x) => x.quantity)];
  }
  if (psa === 'autotask') {
    const seed = stack.sims.autotask.state.seed;
    const contracts = seed.contracts.filter((c) => String(c.companyID) === companyId && c.contractName === name);
    const lines = seed.contractServices.filter((x) => contracts.some((c) => c.id === x.contractID));
    return [contracts.length, lines.length, lines.map((x) => seed.units.find((u) => u.contractServiceID === x.id)?.units ?? -1)];
  }
  const licences = stack.sims.halopsa.state.data.licences.filter((l) => String(l.client_id) === companyId && l.name === name);
  return [licences.length, licences.length, licences.map((l) => l.count)];
}

function companiesNamed(psa: PsaKind, name: string): number {
  if (psa === 'connectwise') return stack.sims.connectwise.state.data.companies.filter((c) => c.name === name).length;
  if (psa === 'autotask') return stack.sims.autotask.state.seed.companies.filter((c) => c.companyName === name).length;
  return stack.sims.halopsa.state.data.clients.filter((c) => c.name === name).length;
}

test.each(['connectwise', 'autotask', 'halopsa'] as const)(
  '%s: killed while a billing object is written, and a lost answer: every company and billing object made once, every row mapped with billing',
  async (psa) => {
    const t = await seedTenants(stack.db, { organizationsPerPartner: 1 });
    const owner = t.master.users.owner;
    await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId: t.master.id, psa, organizationIds: [t.master.organizationIds[0] as string] });
    const tag = randomUUID().slice(0, 8);
    const names = Array.from({ length: 6 }, (_, i) => `Billing Crash ${tag} ${i + 1}`);
    const created = await stack.db
      .insertInto('organizations')
      .values(names.map((name) => ({ partnerId: t.master.id, planId: t.master.planId, name, seatCount: 3 })))
      .returning(['id', 'name'])
      .execute();
    const planName = (await stack.db.selectFrom('plans').select('name').where('id', '=', t.master.planId).executeTakeFirstOrThrow()).name;
    const rows = created.map((o) => ({ organizationId: o.id, action: 'create' }));

    await worker?.stop();
    await stopInProcessWorker();
    worker = await startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });
    const sim = psa === 'connectwise' ? stack.sims.connectwise : psa === 'autotask' ? stack.sims.autotask : stack.sims.halopsa;
    sim.server.clearFaults();
    sim.server.log.length = 0;
    const writes = BILLING_WRITES[psa];
    const hang = sim.server.addFault({ method: 'POST', path: writes.hang, kind: 'latency', ms: 3000, times: 1 });
    const drop = sim.server.addFault({ method: 'POST', path: writes.drop, kind: 'commit_then_drop', times: 1 });
    const extras = psa === 'halopsa' ? { createUnder: '1' } : psa === 'autotask' ? { phone: '+1 555 0100' } : {};
    const res = await stack.api('POST', integrationsPath(t.master.id, psa, '/organization-import'), owner, { rows, ...extras });
    expect(res.status).toBe(202);
    await waitFor('the billing write to hang', async () => hang.used > 0, 30_000, 20);
    await worker.kill();
    worker = await startWorkerProcess({ taskQueue: stack.taskQueue, env: workerEnv(stack) });

    const progressPath = integrationsPath(t.master.id, psa, `/organization-import/${res.body.batchId}`);
    const done = await waitFor(
      'the batch to finish on the new worker',
      async () => {
        const r = await stack.api('GET', progressPath, owner);
        return r.status === 200 && r.body.finished ? r.body : null;
      },
      120_000,
      250,
    );
    expect(hang.used).toBe(1);
    expect(drop.used).toBe(1);
    expect(done).toMatchObject({ total: 6, done: 6, mapped: 6, refused: 0 });
    const marker = `${planName} (psa-sync)`;
    for (const o of created) {
      const row = done.rows.find((r: any) => r.organizationId === o.id);
      expect(row).toMatchObject({ outcome: 'mapped', code: null });
      expect(companiesNamed(psa, o.name)).toBe(1);
      expect(billingHeld(psa, row.companyId, marker)).toEqual([1, 1, [3]]);
      const mapping = await stack.db.selectFrom('organizationMappings').select('values').where('organizationId', '=', o.id).executeTakeFirstOrThrow();
      expect(mapping.values).toEqual(row.values);
    }
    // The held write was committed by the PSA all the same, so the retry found it instead of writing it again.
    expect(sim.server.log.filter((e) => e.fault === 'latency')[0]?.status).toBeLessThan(300);
  },
  240_000,
);

