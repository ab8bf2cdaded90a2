/**
 * Records the lifecycle histories the replay tier keeps (test/replay/histories/integration-*.json):
 * `RECORD_HISTORIES=1 npx jest test/workflow/integration-record`. Skipped otherwise, so ordinary
 * runs never rewrite committed fixtures. Payloads are sealed with the replay tier's fixed key.
 */
import { Client } from '@temporalio/client';
import { startHaloPsaSim, SEED_CREDENTIALS as HALO, SEED_FIXTURES as HF } from '../../sims/halopsa';
import { startConnectWiseSim, SEED_CREDENTIALS as CW, SEED_FIXTURES as CWF } from '../../sims/connectwise';
import { createIntegrationsClient } from '../../client/integrations';
import { integrationWorkflow, initialIntegrationState } from '../../workflows/integration';
import { integrationWorkflowId } from '../../workflows/integration-messages';
import { createDataConverter } from '../../security/data-converter';
import type { PsaRuntimeOptions } from '../../activities/deps';
import { memoryLogger, testDb, uniqueTaskQueue } from '../helpers/env';
import { temporalTestContext } from '../helpers/temporal';
import { seedTenants } from '../helpers/seed';
import { REPLAY_KEYS } from '../replay/keys';
import { saveHistory } from '../replay/histories';

const maybe = process.env.RECORD_HISTORIES ? test : test.skip;

maybe('record integration lifecycle histories', async () => {
  const db = testDb();
  const t = await temporalTestContext(REPLAY_KEYS);
  const client = new Client({ connection: t.connection, namespace: 'default', dataConverter: createDataConverter(REPLAY_KEYS) });
  const [halo, cw] = await Promise.all([startHaloPsaSim(), startConnectWiseSim()]);
  const psa: PsaRuntimeOptions = { urlPolicy: { allowHosts: ['127.0.0.1'], allowPrivateNetworks: true, allowHttp: true }, ca: cw.ca, timeoutMs: 5000 };
  const taskQueue = uniqueTaskQueue('integration-record');
  const worker = await t.startWorker(taskQueue, { db, keys: REPLAY_KEYS, psa, log: memoryLogger().log, temporal: client, publicBaseUrl: 'http://127.0.0.1:1', platformCallbackUrl: null });
  const integrations = createIntegrationsClient({ temporal: client, db, keys: REPLAY_KEYS, taskQueue, psa });
  try {
    const tenants = await seedTenants(db);
    const p = tenants.master.id;
    const [orgA, orgB] = tenants.master.organizationIds as [string, string];

    // HaloPSA: failed connect (compensation), connect, ticket mapping, org map/edit/unlink, unhealthy + re-test, revoke, connect again.
    await integrations.connect(p, 'halopsa', { siteUrl: halo.url, clientId: HALO.clientId, clientSecret: 'wrong' }, 'recorder').catch(() => undefined);
    await integrations.connect(p, 'halopsa', { siteUrl: halo.url, clientId: HALO.clientId, clientSecret: HALO.clientSecret }, 'recorder');
    await integrations.setTicketMapping(p, 'halopsa', { ...HF.ticketMapping }, 'recorder');
    await integrations.mapOrganization(p, 'halopsa', orgA, { ...HF.organization }, 'recorder');
    await integrations.mapOrganization(p, 'halopsa', orgA, { ...HF.organization }, 'recorder');
    await integrations.mapPlan(p, 'halopsa', tenants.master.planId, {}, 'recorder').catch(() => undefined);
    halo.state.setApplicationActive(false);
    await integrations.mapOrganization(p, 'halopsa', orgB, { ...HF.organization }, 'recorder').catch(() => undefined);
    halo.state.setApplicationActive(true);
    await integrations.retest(p, 'halopsa', 'recorder');
    await integrations.unlinkOrganization(p, 'halopsa', orgA, 'recorder');
    await integrations.resetTicketMapping(p, 'halopsa', 'recorder');
    await integrations.revoke(p, 'halopsa', 'recorder');
    await integrations.connect(p, 'halopsa', { siteUrl: halo.url, clientId: HALO.clientId, clientSecret: HALO.clientSecret }, 'recorder');
    await saveHistory(client.workflow.getHandle(integrationWorkflowId(p, 'halopsa')), 'integration-halopsa-journey');

    // ConnectWise with continue-as-new every 3 changes: plan before organization, refusals, revoke.
    const cwId = integrationWorkflowId(p, 'connectwise');
    const first = await client.workflow.start(integrationWorkflow, { workflowId: cwId, taskQueue, args: [{ state: initialIntegrationState(p, 'connectwise'), changesPerRun: 3 }] });
    await integrations.connect(p, 'connectwise', { siteUrl: cw.host, companyId: CW.companyId, publicKey: CW.publicKey, privateKey: CW.privateKey, clientId: CW.clientId }, 'recorder');
    await integrations.mapOrganization(p, 'connectwise', orgB, { ...CWF.organization }, 'recorder').catch(() => undefined);
    await integrations.mapPlan(p, 'connectwise', tenants.master.planId, { ...CWF.planMapping }, 'recorder');
    await integrations.mapOrganization(p, 'connectwise', orgB, { ...CWF.organization }, 'recorder');
    await integrations.revoke(p, 'connectwise', 'recorder');
    await saveHistory(client.workflow.getHandle(cwId, first.firstExecutionRunId), 'integration-connectwise-first-run');
    await saveHistory(client.workflow.getHandle(cwId), 'integration-connectwise-latest-run');
  } finally {
    await worker.stop();
    await Promise.all([halo.close(), cw.close()]);
    await t.close();
    await db.destroy();
  }
});
