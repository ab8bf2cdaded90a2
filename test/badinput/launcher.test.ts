/**
 * `npm start`'s launcher (main/dev.ts) against the run's Temporal server and database: the
 * worker and the API are its child processes, and a crash of one is reported loudly and
 * repaired while the other keeps running; Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../infra/temporal-dev-server';
import { uniqueTaskQueue } from '../helpers/env';

const ROOT = path.resolve(__dirname, '..', '..');

let launcher: ChildProcess | null = null;
let output = '';

afterAll(() => {
  if (launcher && launcher.exitCode === null) launcher.kill('SIGKILL');
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

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a killed API or worker is reported and started again while the other keeps running; Ctrl-C stops all', async () => {
  const port = await freePort();
  const simPorts = { SIM_CONNECTWISE_PORT: String(await freePort()), SIM_AUTOTASK_PORT: String(await freePort()), SIM_HALOPSA_PORT: String(await freePort()) };
  launcher = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'main', 'dev.ts')], {
    cwd: ROOT,
    env: { ...process.env, API_PORT: String(port), TEMPORAL_TASK_QUEUE: uniqueTaskQueue('launcher'), LOG_LEVEL: 'warn', NODE_ENV: 'development', ...simPorts },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launcher.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  launcher.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  await waitFor(/running — press Ctrl-C to stop/);
  const apiPid = Number((await waitFor(/API running \(pid (\d+)\)/))[1]);
  const workerPid = Number((await waitFor(/worker running \(pid (\d+)\)/))[1]);
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  // In development the three PSA simulators run too, on the ports configured.
  const simsPid = Number((await waitFor(/simulators running \(pid (\d+)\)/))[1]);
  expect(output).toContain(`HaloPSA http://127.0.0.1:${simPorts.SIM_HALOPSA_PORT}`);
  expect((await fetch(`http://127.0.0.1:${simPorts.SIM_HALOPSA_PORT}/__sim/log`)).status).toBe(200);

  process.kill(apiPid, 'SIGKILL');
  await waitFor(/!!! API was killed by SIGKILL — starting it again/);
  const apiAgain = Number((await waitFor(/API running \(pid (\d+)\)[\s\S]*API running \(pid (\d+)\)/))[2]);
  expect(apiAgain).not.toBe(apiPid);
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  expect(alive(workerPid)).toBe(true);

  process.kill(workerPid, 'SIGKILL');
  await waitFor(/!!! worker was killed by SIGKILL — starting it again/);
  const workerAgain = Number((await waitFor(/worker running \(pid (\d+)\)[\s\S]*worker running \(pid (\d+)\)/))[2]);
  expect(workerAgain).not.toBe(workerPid);
  expect(alive(apiAgain)).toBe(true);
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

  const exited = new Promise<number | null>((resolve) => launcher?.once('exit', (code) => resolve(code)));
  launcher.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(output).toMatch(/psa-sync: stopped/);
  expect([alive(apiAgain), alive(workerAgain), alive(simsPid)]).toEqual([false, false, false]);
}, 300_000);
