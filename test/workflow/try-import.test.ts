/**
 * `npm run try -- import <psa> --create-unmatched` on real Temporal + PostgreSQL + the simulators:
 * the confirm the command builds from the preview (main/try-import.ts), sent through the same API
 * path, creates the organizations no company matches as new PSA companies with their billing
 * objects and maps them; without the flag nothing is confirmed and the rows say why.
 */
import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '../helpers/stack';
import { seedTenants } from '../helpers/seed';
import { connectIntegration } from '../helpers/integration-fixture';
import type { PsaKind } from '../../psa/core/types';
import { tryImportPlan, TRY_PHONE } from '../../main/try-import';
import { integrationsPath } from './integration-kit';
import { waitFor } from './tickets-helpers';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack('try-import');
});
afterAll(async () => {
  await stack?.close();
});

function companyNames(psa: PsaKind): string[] {
  if (psa === 'connectwise') return stack.sims.connectwise.state.data.companies.map((c) => c.name);
  if (psa === 'autotask') return stack.sims.autotask.state.seed.companies.map((c) => c.companyName);
  return stack.sims.halopsa.state.data.clients.map((c) => c.name);
}

describe.each(['connectwise', 'autotask', 'halopsa'] as const)('%s', (psa) => {
  test('--create-unmatched creates and maps the organizations no company matches; without it nothing is confirmed', async () => {
    const t = await seedTenants(stack.db, { organizationsPerPartner: 1 });
    await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId: t.master.id, psa, organizationIds: [t.master.organizationIds[0] as string] });
    const tag = randomUUID().slice(0, 8);
    const names = [`Quarrystone Veterinary ${tag}`, `Zephyrine Optics ${tag} GmbH`];
    const orgs = await stack.db
      .insertInto('organizations')
      .values(names.map((name, i) => ({ partnerId: t.master.id, planId: t.master.planId, name, seatCount: 3 + i })))
      .returning(['id', 'name'])
      .execute();
    const owner = t.master.users.owner;
    const base = integrationsPath(t.master.id, psa, '/organization-import');

    const preview = await stack.api('GET', `${base}/preview`, owner);
    expect(preview.status).toBe(200);
    expect(preview.body.organizations.map((r: { outcome: string }) => r.outcome)).toEqual(['none', 'none']);

    const without = tryImportPlan(preview.body, { createUnmatched: false });
    expect(without.body).toBeNull();
    expect(without.left.map((l) => l.why)).toEqual([expect.stringContaining('--create-unmatched'), expect.stringContaining('--create-unmatched')]);

    const plan = tryImportPlan(preview.body, { createUnmatched: true });
    expect(plan).toMatchObject({ mapped: 0, created: 2, left: [] });
    if (psa === 'halopsa') expect(plan.body?.createUnder).toBe(preview.body.createParents[0].id);
    if (psa === 'autotask') expect(plan.body?.phone).toBe(TRY_PHONE);

    const started = await stack.api('POST', base, owner, plan.body);
    expect(started.status).toBe(202);
    const done = await waitFor(
      'the import batch to finish',
      async () => {
        const r = await stack.api('GET', `${base}/${started.body.batchId}`, owner);
        return r.status === 200 && r.body.finished ? r.body : null;
      },
      90_000,
      200,
    );
    expect(done).toMatchObject({ total: 2, done: 2, mapped: 2, created: 2, refused: 0 });
    for (const name of names) expect(companyNames(psa).filter((n) => n === name)).toHaveLength(1);
    const mapped = await stack.db.selectFrom('organizationMappings').select('organizationId').where('organizationId', 'in', orgs.map((o) => o.id)).execute();
    expect(mapped).toHaveLength(2);

    // Run again: nothing is left to import, and nothing is created twice.
    const again = await stack.api('GET', `${base}/preview`, owner);
    expect(tryImportPlan(again.body, { createUnmatched: true }).body).toBeNull();
  });
});
