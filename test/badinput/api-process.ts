/**
 * The real API process (`api/main.ts`) for the bad-input tier, started the way the `npm start`
 * launcher starts it (forked, readiness over IPC) against the run's PostgreSQL and Temporal
 * server, with the simulators' URLs allowed. A crash of it shows as `exited`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../infra/temporal-dev-server';
import type { Stack } from '../helpers/stack';

export interface ApiProcess {
  port: number;
  url: string;
  child: ChildProcess;
  /** Set when the process ended (it never should during a test). */
  exited: string | null;
  output: string[];
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');

export async function startApiProcess(stack: Stack): Promise<ApiProcess> {
  const port = await freePort();
  const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'psa-sync-badinput-')), 'ca.pem');
  fs.writeFileSync(caFile, stack.psa.ca ?? '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    API_HOST: '127.0.0.1',
    API_PORT: String(port),
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    PSA_ALLOW_PRIVATE_NETWORKS: 'true',
    PSA_ALLOW_HTTP: 'true',
    PSA_ALLOW_HOSTS: '127.0.0.1,localhost',
    PSA_EXTRA_CA_FILE: caFile,
    AUTOTASK_ZONE_URL: stack.sims.autotask.url,
    LOG_LEVEL: 'warn',
  };
  const child = fork(path.join(ROOT, 'api', 'main.ts'), [], {
    env,
    execArgv: ['--require', require.resolve('tsx/cjs')],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const proc: ApiProcess = { port, url: `http://127.0.0.1:${port}`, child, exited: null, output: [], stop: async () => undefined };
  child.stdout?.on('data', (c: Buffer) => proc.output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => proc.output.push(c.toString()));
  child.once('exit', (code, signal) => (proc.exited = `exited with ${signal ?? code}`));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`API process not ready: ${proc.output.join('')}`)), 60_000);
    child.on('message', (m: { type?: string }) => {
      if (m?.type === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`API process ${proc.exited}: ${proc.output.join('')}`));
    });
  });
  proc.stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return proc;
}
