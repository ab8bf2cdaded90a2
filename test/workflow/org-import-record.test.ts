/**
 * Records the organization import history the replay tier keeps
 * (test/replay/histories/org-import-halopsa-batch.json):
 * `RECORD_HISTORIES=1 npx jest test/workflow/org-import-record`. Skipped otherwise, so ordinary
 * runs never rewrite committed fixtures. Payloads are sealed with the replay tier's fixed key.
 */
import { startStack } from '../helpers/stack';
import { seedTenants } from '../helpers/seed';
import { connectIntegration, simFixtures } from '../helpers/integration-fixture';
import { REPLAY_KEYS } from '../replay/keys';
import { saveHistory } from '../replay/histories';
import { createOrgImportClient } from '../../client/org-import';
import { organizationImportWorkflowId } from '../../workflows/org-import-messages';

const maybe = process.env.RECORD_HISTORIES ? test : test.skip;

maybe('record an organization import batch (map, create, refusals)', async () => {
  const stack = await startStack('org-import-record', { keys: REPLAY_KEYS });
  try {
    const t = await seedTenants(stack.db, { organizationsPerPartner: 3 });
    const [mapped, toMap, toCreate] = t.master.organizationIds as [string, string, string];
    await connectIntegration(stack.db, stack.deps.keys, stack.sims, { partnerId: t.master.id, psa: 'halopsa', organizationIds: [mapped] });
    const client = createOrgImportClient({ db: stack.db, temporal: stack.client, taskQueue: stack.taskQueue, keys: REPLAY_KEYS, psa: stack.psa });
    const { organization } = simFixtures('halopsa');
    const rows = [
      { organizationId: toMap, action: 'map' as const, values: organization },
      { organizationId: mapped, action: 'map' as const, values: organization },
      { organizationId: toCreate, action: 'create' as const },
    ];
    const { batchId } = await client.confirm(t.master.id, 'halopsa', { rows, createUnder: '1' }, 'recorder');
    const handle = stack.client.workflow.getHandle(organizationImportWorkflowId(t.master.id, 'halopsa', batchId));
    await handle.result();
    await saveHistory(handle, 'org-import-halopsa-batch');
  } finally {
    await stack.close();
  }
});
