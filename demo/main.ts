/**
 * `npm run demo`: the integration lifecycle end to end on one machine. Starts the three PSA
 * simulators, a Temporal dev server with its Web UI (or uses TEMPORAL_ADDRESS), a fresh
 * database (or DATABASE_URL), the worker and the HTTP API in this process, then walks the
 * portal journey for each PSA and prints each step and the Web UI link of each workflow.
 * Exits 0 when every step behaved.
 */
import { randomBytes } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';
import { loadConfig } from '../config/env';
import { createDb, ensureDatabase, safeUrl } from '../db/connect';
import { migrateToLatest } from '../db/migrator';
import { createLogger } from '../infra/logger';
import { installSdkRuntime } from '../infra/sdk-runtime';
import { freePort, startDevServer, type DevServer } from '../infra/temporal-dev-server';
import { KeyRing } from '../security/crypto';
import { createTemporalClient } from '../client/temporal';
import { createWorker } from '../worker/create-worker';
import { registerSearchAttributes } from '../worker/register-search-attributes';
import { buildRoutes } from '../api/app';
import { ApiServer } from '../api/server';
import type { PsaRuntimeOptions } from '../activities/deps';
import { integrationWorkflowId } from '../workflows/integration-messages';
import { startConnectWiseSim, SEED_CREDENTIALS as CW, SEED_FIXTURES as CWF } from '../sims/connectwise';
import { startAutotaskSim, SEED_CREDENTIALS as AT, SEED_FIXTURES as ATF } from '../sims/autotask';
import { startHaloPsaSim, SEED_CREDENTIALS as HALO, SEED_FIXTURES as HF } from '../sims/halopsa';
import { seedDemoTenant } from './seed';
import { runJourney, type DemoVendor } from './journey';

const say = (line: string) => console.log(line);

async function main(): Promise<number> {
  const config = loadConfig({ ...process.env, NODE_ENV: 'development' });
  installSdkRuntime('error');
  const log = createLogger('demo', 'error');
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    say('psa-sync demo: the integration lifecycle for ConnectWise, Autotask and HaloPSA\n');

    const [cw, at, halo] = await Promise.all([startConnectWiseSim(), startAutotaskSim(), startHaloPsaSim()]);
    cleanup.push(() => Promise.all([cw.close(), at.close(), halo.close()]));
    say(`simulators   ConnectWise ${cw.url} · Autotask ${at.url} · HaloPSA ${halo.url}`);

    // A fresh database unless DATABASE_URL names one; the demo never touches real data.
    const dbUrl = process.env.DATABASE_URL ?? config.DATABASE_URL.replace(/\/[^/]*$/, `/psa_sync_demo_${Date.now()}`);
    await ensureDatabase(dbUrl);
    const db = createDb(dbUrl, 5);
    cleanup.push(() => db.destroy());
    await migrateToLatest(db);
    say(`database     ${safeUrl(dbUrl)}`);

    const keys = new KeyRing({ demo: randomBytes(32) }, 'demo');
    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    let address = process.env.TEMPORAL_ADDRESS;
    let uiUrl: string | null = process.env.TEMPORAL_UI_URL ?? null;
    let server: DevServer | null = null;
    if (!address) {
      server = await startDevServer({ uiPort: await freePort(), codecEndpoint: `${apiUrl}/codec/t/${config.CODEC_AUTH_TOKEN}` });
      cleanup.push(() => (server as DevServer).stop());
      address = server.address;
      uiUrl = server.uiUrl;
    }
    const temporal = await createTemporalClient({ address, namespace: 'default', keys });
    cleanup.push(() => temporal.connection.close());
    if (!server) await registerSearchAttributes(temporal.connection as Connection, 'default');
    say(`temporal     ${address}${uiUrl ? ` · Web UI ${uiUrl}` : ''}`);

    // The vendor-issued ids are deployment configuration (the simulators' own here), never partner input.
    const psa: PsaRuntimeOptions = {
      integrationIds: { connectwise: CW.clientId, autotask: AT.integrationCode },
      urlPolicy: { allowHosts: ['127.0.0.1', 'localhost'], allowPrivateNetworks: true, allowHttp: true },
      ca: cw.ca,
      autotaskZoneLookupUrl: at.url,
      timeoutMs: 5000,
    };
    const taskQueue = `demo-${Date.now()}`;
    const native = await NativeConnection.connect({ address });
    cleanup.push(() => native.close());
    const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, deps: { db, keys, psa, log, temporal, publicBaseUrl: apiUrl, platformCallbackUrl: null } });
    const running = worker.run();
    cleanup.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
    const api = new ApiServer({ db, routes: buildRoutes({ db, temporal, taskQueue, keys, config, psa, log }), platformTokens: config.API_TOKENS, log, ...(uiUrl ? { corsOrigins: [uiUrl] } : {}) });
    await api.listen(apiPort);
    cleanup.push(() => api.close());
    say(`api          ${apiUrl} (OpenAPI ${apiUrl}/openapi.json)`);

    const tenant = await seedDemoTenant(db);
    const token = config.API_TOKENS[0] as string;
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'x-user-id': tenant.ownerId, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    say(`partner      ${tenant.partnerId} (owner ${tenant.ownerId})`);

    const vendors: DemoVendor[] = [
      { psa: 'connectwise', credentials: { siteUrl: cw.host, companyId: CW.companyId, publicKey: CW.publicKey, privateKey: CW.privateKey }, ticketMapping: { ...CWF.ticketMapping }, planMapping: { ...CWF.planMapping }, organization: { ...CWF.organization } },
      { psa: 'autotask', credentials: { apiUser: AT.apiUser, secret: AT.secret }, ticketMapping: { ...ATF.ticketMapping }, planMapping: { ...ATF.planMapping }, organization: { ...ATF.organization } },
      { psa: 'halopsa', credentials: { siteUrl: halo.url, clientId: HALO.clientId, clientSecret: HALO.clientSecret }, ticketMapping: { ...HF.ticketMapping }, planMapping: {}, organization: { ...HF.organization } },
    ];
    const started = Date.now();
    for (const v of vendors) {
      await runJourney(call, tenant, v, say);
      const id = integrationWorkflowId(tenant.partnerId, v.psa);
      say(`  workflow ${id}${uiUrl ? `\n  ${uiUrl}/namespaces/default/workflows/${encodeURIComponent(id)}` : ''}`);
    }
    const cards = (await call('GET', `/v1/partners/${tenant.partnerId}/integrations`)).body.integrations;
    say(`\nIntegrations page: ${cards.map((c: { psa: string; status: string; health: string }) => `${c.psa} ${c.status}/${c.health}`).join(' · ')}`);
    say(`all journeys passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
