/**
 * Starts a real Temporal server (`temporal server start-dev`, the pinned CLI binary) as a child
 * process and waits until its frontend answers. Used by `npm start`, the test suite's global
 * setup, the demo and the benchmarks. Nothing is downloaded: the binary comes from
 * scripts/setup-temporal.sh or TEMPORAL_CLI_PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

export const PROJECT_ROOT = path.resolve(__dirname, '..');

export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TEMPORAL_CLI_PATH || path.join(PROJECT_ROOT, '.tools', 'bin', 'temporal');
}

export class TemporalCliMissingError extends Error {
  constructor(cliPath: string) {
    super(`Temporal CLI not found at ${cliPath}. Run \`npm run setup:temporal\` (builds it with Go) or set TEMPORAL_CLI_PATH.`);
    this.name = 'TemporalCliMissingError';
  }
}

export interface DevServerOptions {
  port?: number;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  /** SQLite file; in-memory when omitted. */
  dbFile?: string;
  namespace?: string;
  /** Codec endpoint the Web UI calls to decode encrypted payloads. */
  codecEndpoint?: string;
  /** Where the server's own log goes; ignored when omitted. */
  logFile?: string;
  readyTimeoutMs?: number;
  /**
   * Its own process group, so a terminal's Ctrl-C (sent to the whole foreground group) reaches only
   * the launcher, which stops the server last, after the worker has drained.
   */
  ownProcessGroup?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const cli = temporalCliPath();
  if (!fs.existsSync(cli)) throw new TemporalCliMissingError(cli);
  const port = opts.port ?? (await freePort());
  const namespace = opts.namespace ?? 'default';
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--namespace', namespace,
    '--log-level', 'warn',
    // Updates are how the lifecycle workflow answers callers.
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  ];
  for (const key of ALL_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.codecEndpoint) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(cli, args, { stdio: ['ignore', out, out], detached: opts.ownProcessGroup === true });
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) throw new Error(`Temporal dev server ${exited} before it was ready${opts.logFile ? ` (see ${opts.logFile})` : ''}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server on ${address} not ready in time: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : null,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
