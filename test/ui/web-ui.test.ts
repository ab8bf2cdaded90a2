/**
 * The Temporal Web UI as ops use it, in a real headless Chromium (Debian's package, driven by
 * playwright-core; nothing downloads a browser). A dev server with its UI runs with the UI's
 * codec endpoint pointed at the API, as `npm start` sets it up; after a ticket lifecycle
 * (raise → ticket → recovery → closed) the run is found by PsaPartnerId and PsaOrganizationId,
 * and its input and result are shown decrypted by the codec endpoint. A screenshot is written
 * to .data/web-ui/ for people.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startNodeEntry, type Supervised } from '../../infra/cluster/child-process';
import { ownedTempDir } from '../../infra/cluster/temp-dirs';
import { PROJECT_ROOT, freePort, startDevServer, type DevServer } from '../../infra/temporal-dev-server';
import { createTemporalClient } from '../../client/temporal';
import { createAlertsClient } from '../../client/alerts';
import { testDb, testKeys } from '../helpers/env';
import { seedTenants } from '../helpers/seed';
import { addOrganizations, connectIntegration } from '../helpers/integration-fixture';
import { startConnectWiseSim } from '../../sims/connectwise';
import { startAutotaskSim } from '../../sims/autotask';
import { startHaloPsaSim } from '../../sims/halopsa';
import type { Sims } from '../helpers/stack';
import type { Db } from '../../db/connect';
import type { Client } from '@temporalio/client';
import { serviceTicketWorkflowId } from '../../workflows/ticket-messages';
import { waitFor } from '../workflow/tickets-helpers';

jest.setTimeout(300_000);

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The machine's closed network refuses Chromium's background connections; these flags keep it from trying. */
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT_DIR = path.join(PROJECT_ROOT, '.data', 'web-ui');
const SCREENSHOT = path.join(SCREENSHOT_DIR, 'ticket-run.png');
const LIST_SCREENSHOT = path.join(SCREENSHOT_DIR, 'runs-by-partner-and-organization.png');
const CODEC_TOKEN = `ui-codec-${randomUUID()}`;

let dev: DevServer;
let sims: Sims;
let db: Db;
let client: Client;
const processes: Supervised[] = [];
let browser: BrowserContext | null = null;
let runDir: string;
let profileDir: string;
let apiUrl: string;

async function startProcess(name: string, entry: string, env: Record<string, string>, ready: RegExp): Promise<Supervised> {
  const child = await startNodeEntry({ name, entry: path.join(PROJECT_ROOT, entry), cwd: PROJECT_ROOT, env: { ...process.env, ...env }, ready });
  processes.push(child);
  return child;
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: scripts/test.sh installs Debian's chromium package (apt-get install chromium)`);
  db = testDb();
  const [connectwise, autotask, halopsa] = await Promise.all([startConnectWiseSim(), startAutotaskSim(), startHaloPsaSim()]);
  sims = { connectwise, autotask, halopsa };
  // As `npm start` does: the UI's codec endpoint is the API's token-in-path codec route.
  const apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  const uiPort = await freePort();
  // One directory for this run's browser profile (new and empty) and the dev server's log.
  runDir = ownedTempDir('psa-sync-ui-');
  profileDir = path.join(runDir, 'chromium-profile');
  fs.mkdirSync(profileDir);
  dev = await startDevServer({ uiPort, codecEndpoint: `${apiUrl}/codec/t/${CODEC_TOKEN}`, logFile: path.join(runDir, 'temporal-dev.log') });
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: dev.address,
    TEMPORAL_TASK_QUEUE: `ui-${randomUUID().slice(0, 8)}`,
    TEMPORAL_UI_PORT: String(uiPort),
    API_PORT: String(apiPort),
    CODEC_AUTH_TOKEN: CODEC_TOKEN,
    PUBLIC_BASE_URL: apiUrl,
    PSA_ALLOW_PRIVATE_NETWORKS: 'true',
    PSA_ALLOW_HTTP: 'true',
    PSA_ALLOW_HOSTS: '127.0.0.1,localhost',
  };
  await Promise.all([
    startProcess('worker', 'worker/main.ts', env, /worker started/),
    startProcess('api', 'api/main.ts', { ...env, LOG_LEVEL: 'info' }, /api listening/),
  ]);
  process.env.UI_TEST_TASK_QUEUE = env.TEMPORAL_TASK_QUEUE;
  client = await createTemporalClient({ address: dev.address, namespace: 'default', keys: testKeys() });
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await Promise.all(processes.map((p) => p.stop()));
  await client?.connection.close();
  await dev?.stop();
  await Promise.all(Object.values(sims ?? {}).map((s) => s.close()));
  await db?.destroy();
  if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
});

/** The visible text of the page, whitespace folded. */
const textOf = async (page: Page) => (await page.locator('body').innerText()).replace(/\s+/g, ' ');

test('ops find a ticket run by partner and organization in the Web UI and read its input and result decrypted', async () => {
  const taskQueue = process.env.UI_TEST_TASK_QUEUE as string;
  const tenants = await seedTenants(db, { organizationsPerPartner: 0 });
  const partner = tenants.direct;
  const [org] = await addOrganizations(db, partner.id, partner.planId, 1, 'Contoso Backup');
  const organizationId = org as string;
  await connectIntegration(db, testKeys(), sims, { partnerId: partner.id, psa: 'halopsa', organizationIds: [organizationId] });
  const alerts = createAlertsClient({ db, temporal: client, taskQueue, policy: { debounceMs: 200, flapWindowMs: 500, catchUpWindowMs: 60_000, pollIntervalMs: 60_000, outageRetryMs: 500 } });
  const at = () => new Date().toISOString();
  await alerts.reportAlert({ eventId: `ui-${randomUUID()}`, organizationId, problem: 'backup_failed', event: 'raised', occurredAt: at() });
  const ticket = await waitFor('ticket opened', () => db.selectFrom('tickets').selectAll().where('organizationId', '=', organizationId).executeTakeFirst(), 60_000, 200);
  await alerts.reportAlert({ eventId: `ui-${randomUUID()}`, organizationId, problem: 'backup_failed', event: 'recovered', occurredAt: at() });
  const workflowId = serviceTicketWorkflowId(organizationId, 'backup_failed');
  const result = (await client.workflow.getHandle(workflowId).result()) as { psaTicketId: string | null; stopReason: string };
  expect(result.psaTicketId).toBe(ticket.psaTicketId);
  // What the server stores is ciphertext: without the codec, nobody reads the ids.
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const rawInput = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  expect(Buffer.from(rawInput?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
  expect(Buffer.from(rawInput?.data ?? []).toString('latin1')).not.toContain(organizationId);

  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1440, height: 1400 },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const decodeCalls: number[] = [];
  page.on('response', (res) => {
    if (res.url().includes('/codec/t/') && res.url().endsWith('/decode')) decodeCalls.push(res.status());
  });

  // The list, filtered the way ops filter it: by partner and organization.
  const query = `PsaPartnerId="${partner.id}" AND PsaOrganizationId="${organizationId}"`;
  await page.goto(`${dev.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
  const row = page.getByRole('link', { name: workflowId });
  await row.first().waitFor({ timeout: 60_000 });
  expect(await page.getByRole('link', { name: /^ticket\// }).count()).toBe(1);
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: LIST_SCREENSHOT });

  // The run's page: input and result, decrypted by the API's codec route.
  await row.first().click();
  await page.waitForURL(/\/workflows\/ticket/, { timeout: 30_000 });
  await waitFor('decoded input and result on the page', async () => {
    const text = await textOf(page);
    return text.includes(organizationId) && text.includes(partner.id) && text.includes('"stopReason"') ? text : null;
  }, 60_000, 500);
  const text = await textOf(page);
  expect(text).toContain('backup_failed');
  expect(text).toContain(`"psaTicketId": "${ticket.psaTicketId}"`);
  expect(text).not.toMatch(/binary\/encrypted|encoded/i);
  expect(decodeCalls.length).toBeGreaterThan(0);
  expect(decodeCalls.every((s) => s === 200)).toBe(true);

  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
  console.log(`[web-ui] run ${workflowId} found by PsaPartnerId/PsaOrganizationId, input and result decoded (${decodeCalls.length} codec calls); screenshots ${path.relative(PROJECT_ROOT, LIST_SCREENSHOT)}, ${path.relative(PROJECT_ROOT, SCREENSHOT)}`);
});

test('the codec route refuses the UI without its token', async () => {
  const body = JSON.stringify({ payloads: [] });
  const wrong = await fetch(`${apiUrl}/codec/t/not-the-token/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(wrong.status).toBe(401);
  const right = await fetch(`${apiUrl}/codec/t/${CODEC_TOKEN}/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(right.status).toBe(200);
});
