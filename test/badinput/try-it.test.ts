/**
 * A newcomer's `npm start` (scripts/start.sh, with its own Temporal dev server and Web UI) then the
 * try-it commands it prints, each as its own process against the running API: connect, import,
 * raise, recover. The HaloPSA simulator must end with exactly one new ticket for the organization,
 * closed; the runs are on the dev server the Web UI link shows; the other two PSAs connect with the
 * seeds' forms; and a terminal's Ctrl-C (SIGINT to the whole process group) stops it all in order.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../infra/temporal-dev-server';
import { SEED_CREDENTIALS as HALO } from '../../sims/halopsa/seed';
import { Pool } from 'pg';
import { testConfig, uniqueTaskQueue } from '../helpers/env';

const ROOT = path.resolve(__dirname, '..', '..');
const CLIENT = '102';

let launcher: ChildProcess | null = null;
let output = '';
let database: string | null = null;

let scratch: string | null = null;

afterAll(async () => {
  // The whole group (the launcher's own children, in their groups, go when it does).
  if (launcher?.pid && launcher.exitCode === null && launcher.signalCode === null) {
    try {
      process.kill(-launcher.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  if (!database || process.env.KEEP_TEST_DATABASE) return;
  // The run's own database goes with it.
  const url = new URL(database);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const pool = new Pool({ connectionString: url.toString(), max: 1 });
  try {
    await pool.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await pool.end();
  }
});

async function waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = output.match(pattern);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`launcher never printed ${pattern}:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function run(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const [bin, ...args] = command.split(/\s+/) as [string, ...string[]];
  return new Promise((resolve) => {
    execFile(bin, args, { cwd: ROOT, env, timeout: 150_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

async function haloTickets(port: string, clientId: string): Promise<{ id: number; hasbeenclosed: boolean; status_id: number }[]> {
  const base = `http://127.0.0.1:${port}`;
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: HALO.clientId, client_secret: HALO.clientSecret, scope: 'all' });
  const token = ((await (await fetch(`${base}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })).json()) as { access_token: string }).access_token;
  const body = (await (await fetch(`${base}/api/Tickets?client_id=${clientId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { tickets: { id: number; hasbeenclosed: boolean; status_id: number }[] };
  return body.tickets;
}

test('npm start, then the printed try-it commands: connect, import, raise opens one ticket, recover closes it', async () => {
  const temporalPort = await freePort();
  const ports = {
    API_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    SIM_CONNECTWISE_PORT: String(await freePort()),
    SIM_AUTOTASK_PORT: String(await freePort()),
    SIM_HALOPSA_PORT: String(await freePort()),
  };
  // Its own database: the tenant's connection and mappings start empty on every run.
  database = testConfig().DATABASE_URL.replace(/\/[^/?]*(\?|$)/, `/psa_sync_try_${Date.now().toString(36)}$1`);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'psa-sync-try-'));
  // Its own dev server (not the suite's), its history in a scratch file, as `npm start` runs one.
  const env = {
    ...process.env,
    ...ports,
    DATABASE_URL: database,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    TEMPORAL_DEV_SERVER: 'true',
    TEMPORAL_DEV_DB: path.join(scratch, 'temporal.db'),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('try-it'),
    LOG_LEVEL: process.env.TRY_IT_LOG_LEVEL ?? 'warn',
    NODE_ENV: 'development',
  };
  // The README's first command, in its own process group as a terminal would run it.
  launcher = spawn('bash', [path.join(ROOT, 'scripts', 'start.sh')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  launcher.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  launcher.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  await waitFor(/running — press Ctrl-C to stop/, 150_000);
  expect(output).toMatch(/try-it tenant .* (loaded|already loaded)/);
  expect(output).toContain(`starting Temporal dev server (SQLite in ${env.TEMPORAL_DEV_DB})`);
  const uiUrl = `http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`;
  expect(output).toContain(`Web UI       ${uiUrl}`);
  expect(output).toContain(`The runs appear in the Web UI: ${uiUrl}/namespaces/default/workflows`);
  expect((await fetch(`${uiUrl}/namespaces/default/workflows`)).status).toBe(200);
  const block = (await waitFor(/Try it[^\n]*\n((?:\s+npm run try -- [^\n]+\n)+)/))[1] as string;
  const commands = block.split('\n').map((l) => l.trim()).filter(Boolean);
  expect(output).toMatch(/import <psa> --create-unmatched also creates/);
  expect(commands).toEqual(['npm run try -- connect halopsa', 'npm run try -- import halopsa', 'npm run try -- alert raise', 'npm run try -- alert recover', 'npm run try -- status']);

  // Out of order: a clear pointer to the step before.
  const early = await run('npm run try -- alert raise', env);
  expect(early.code).not.toBe(0);
  expect(early.out).toMatch(/run `npm run try -- (connect halopsa|import halopsa)` first/);

  // The tenant's organizations are the simulator's customers; the alerts go to the first,
  // "northwind dental LLC", which is HaloPSA client 102 "Northwind Dental".
  const before = await haloTickets(ports.SIM_HALOPSA_PORT, CLIENT);

  const connect = await run(commands[0] as string, env);
  expect(connect).toMatchObject({ code: 0 });
  expect(connect.out).toMatch(/connected/);
  expect(connect.out).toMatch(/Next: npm run try -- import halopsa/);

  const imported = await run(commands[1] as string, env);
  expect(imported).toMatchObject({ code: 0 });
  expect(imported.out).toMatch(/northwind dental LLC\s+matched\s+→ Northwind Dental \(score/);
  expect(imported.out).toMatch(/progress: 5\/5 done, 5 mapped, 0 created, 0 refused/);
  // Two HaloPSA clients carry this name: a tie, shown and left to the portal, never picked.
  expect(imported.out).toMatch(/left for the portal: Riverside Medical Group — several companies match equally/);

  const raised = await run(commands[2] as string, env);
  expect(raised).toMatchObject({ code: 0 });
  const ticketId = Number((raised.out.match(/ticket \S+ \(id (\d+)\)/) ?? [])[1]);
  expect(ticketId).toBeGreaterThan(0);
  const afterRaise = await haloTickets(ports.SIM_HALOPSA_PORT, CLIENT);
  expect(afterRaise.length).toBe(before.length + 1);
  expect(afterRaise.find((t) => t.id === ticketId)?.hasbeenclosed).toBe(false);

  const recovered = await run(commands[3] as string, env);
  expect(recovered).toMatchObject({ code: 0 });
  const afterRecover = await haloTickets(ports.SIM_HALOPSA_PORT, CLIENT);
  expect(afterRecover.length).toBe(before.length + 1);
  expect(afterRecover.find((t) => t.id === ticketId)?.hasbeenclosed).toBe(true);

  const status = await run(commands[4] as string, env);
  expect(status).toMatchObject({ code: 0 });
  expect(status.out).toMatch(/organizations mapped: .*northwind dental LLC/);

  // The runs are on the dev server the Web UI shows: the ticket run, with its history.
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  try {
    const temporal = new Client({ connection });
    const runs: string[] = [];
    for await (const wf of temporal.workflow.list({ query: `WorkflowType = "serviceTicketWorkflow"` })) runs.push(wf.workflowId);
    expect(runs).toHaveLength(1);
  } finally {
    await connection.close();
  }

  // The other two PSAs connect with only what their seeds' forms ask (no vendor-issued ids).
  for (const psa of ['connectwise', 'autotask']) {
    const other = await run(`npm run try -- connect ${psa}`, env);
    expect([psa, other.code]).toEqual([psa, 0]);
    expect(other.out).toMatch(/connected: connected, healthy/);
  }

  // Ctrl-C in the terminal: SIGINT to the whole group; the launcher stops everything in order.
  const exited = new Promise<number | null>((resolve) => launcher?.once('exit', (code) => resolve(code)));
  process.kill(-(launcher.pid as number), 'SIGINT');
  expect(await exited).toBe(0);
  expect(output).toMatch(/psa-sync: stopping[\s\S]*psa-sync: stopped/);
  expect(output).not.toMatch(/exited unexpectedly|!!!/);
  // Nothing is left answering: the API, the Web UI and the dev server are gone.
  for (const url of [`http://127.0.0.1:${ports.API_PORT}/healthz`, uiUrl]) await expect(fetch(url)).rejects.toThrow();
  await expect(Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: 1000 })).rejects.toThrow();
}, 300_000);
