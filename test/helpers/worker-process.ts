/**
 * A worker in its own OS process (`worker/main.ts`), so crash tests can SIGKILL it mid-flight
 * and start a new one. The workflow bundle is built once and handed over by path, so a restart
 * takes about a second instead of a webpack run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workerNodeArgs, workerProcessEnvironment } from '../../infra/cluster/topology';
import { bundleWorkflows } from '../../worker/create-worker';
import { PROJECT_ROOT } from '../../infra/temporal-dev-server';
import type { Stack } from './stack';

/** What a worker process needs to reach the stack's simulators and API (its CA written to a file). */
export function workerEnvFor(s: Stack): Record<string, string> {
  const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'psa-ca-')), 'ca.pem');
  fs.writeFileSync(caFile, s.sims.connectwise.ca);
  return {
    PSA_ALLOW_PRIVATE_NETWORKS: 'true',
    PSA_ALLOW_HTTP: 'true',
    PSA_ALLOW_HOSTS: '127.0.0.1,localhost',
    PSA_EXTRA_CA_FILE: caFile,
    AUTOTASK_ZONE_URL: s.sims.autotask.url,
    PUBLIC_BASE_URL: s.apiUrl,
  };
}

let bundleFile: Promise<string> | null = null;

async function prebuiltBundle(): Promise<string> {
  bundleFile ??= bundleWorkflows().then((b) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'psa-bundle-')), 'workflows.js');
    fs.writeFileSync(file, b.code);
    return file;
  });
  return bundleFile;
}

export interface WorkerProcessOptions {
  taskQueue: string;
  /** Extra environment (PSA URL policy, zone URL, CA file, PUBLIC_BASE_URL…). */
  env?: Record<string, string>;
}

export interface WorkerProcess {
  child: ChildProcess;
  output: string[];
  /** SIGKILL: no shutdown hooks, in-flight activities are lost mid-call. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<WorkerProcess> {
  const bundle = await prebuiltBundle();
  const child = spawn(process.execPath, [...workerNodeArgs(), '--require', 'tsx/cjs', path.join(PROJECT_ROOT, 'worker/main.ts')], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...workerProcessEnvironment(),
      NODE_ENV: 'test',
      TEMPORAL_TASK_QUEUE: opts.taskQueue,
      WORKFLOW_BUNDLE_PATH: bundle,
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let ready = false;
  const started = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (!ready && output.join('').includes('worker started')) {
        ready = true;
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
    child.once('exit', (code) => {
      if (!ready) reject(new Error(`worker process exited with ${code} before it started:\n${output.join('')}`));
    });
  });
  await started;
  const exited = () => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  return {
    child,
    output,
    async kill() {
      child.kill('SIGKILL');
      await exited();
    },
    async stop() {
      child.kill('SIGTERM');
      await exited();
    },
  };
}
