/**
 * Child processes that never outlive their launcher. Each is started through `setpriv
 * --pdeathsig` where the machine has it (util-linux), so the kernel signals it when the launcher
 * dies, even by SIGKILL; a normal stop sends `stopSignal`, waits, then SIGKILLs.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';

let setprivAvailable: boolean | null = null;

function hasSetpriv(): boolean {
  setprivAvailable ??= spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;
  return setprivAvailable;
}

export interface SupervisedOptions {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this system user (root only; PostgreSQL refuses to run as root). */
  user?: string;
  /** Sent by stop() and, through pdeathsig, when the launcher dies. Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** Appends the process's stdout and stderr here; otherwise they are piped to `onOutput`. */
  logFile?: string;
  onOutput?: (line: string) => void;
}

export interface Supervised {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with how the process ended. */
  readonly exited: Promise<string>;
  isRunning(): boolean;
  /** stopSignal, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: no shutdown hooks run. */
  kill(): Promise<void>;
}

export function startSupervised(opts: SupervisedOptions): Supervised {
  const stopSignal = opts.stopSignal ?? 'SIGTERM';
  const asUser = opts.user && process.getuid?.() === 0 ? ['--reuid', opts.user, '--regid', opts.user, '--init-groups'] : [];
  const wrapped = hasSetpriv();
  const command = wrapped ? 'setpriv' : opts.command;
  const args = wrapped ? [...asUser, '--pdeathsig', stopSignal.replace(/^SIG/, ''), '--', opts.command, ...opts.args] : opts.args;
  if (!wrapped && asUser.length) throw new Error(`${opts.name}: running as ${opts.user} needs setpriv (util-linux)`);
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'pipe';
  const stdio: StdioOptions = ['ignore', out, out];
  // Its own process group: a Ctrl-C at the terminal reaches only the launcher, which stops its
  // children in order (API, workers, server) instead of all of them at once.
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio, detached: true });
  if (typeof out === 'number') fs.closeSync(out);
  if (!child.pid) throw new Error(`${opts.name}: could not start ${opts.command}`);
  if (opts.onOutput) {
    const onLines = (stream: NodeJS.ReadableStream | null) => {
      let rest = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) opts.onOutput?.(line);
      });
    };
    onLines(child.stdout);
    onLines(child.stderr);
  }
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name: opts.name,
    child,
    pid: child.pid,
    exited,
    isRunning: running,
    async stop(graceMs = 10_000) {
      if (!running()) return;
      child.kill(stopSignal);
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(force);
    },
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface NodeEntryOptions {
  name: string;
  /** A TypeScript entry point, run through tsx. */
  entry: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Node's own arguments (e.g. a worker's heap settings), before the loader. */
  nodeArgs?: string[];
  /** Resolves once a line matches; resolves at once when null. */
  ready: RegExp | null;
  /** Every output line, e.g. to echo it with the service's name. */
  onLine?: (line: string) => void;
}

/** A psa-sync process (worker, API) from its TypeScript entry; waits for its ready line. */
export async function startNodeEntry(opts: NodeEntryOptions): Promise<Supervised> {
  const recent: string[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const child = startSupervised({
    name: opts.name,
    command: process.execPath,
    args: [...(opts.nodeArgs ?? []), '--require', 'tsx/cjs', opts.entry],
    cwd: opts.cwd,
    env: opts.env,
    onOutput: (line) => {
      recent.push(line);
      if (recent.length > 200) recent.shift();
      opts.onLine?.(line);
      if (opts.ready?.test(line)) markReady();
    },
  });
  if (opts.ready) {
    const outcome = await Promise.race([ready.then(() => 'ready'), child.exited]);
    if (outcome !== 'ready') throw new Error(`${opts.name} ended (${outcome}) before it was ready:\n${recent.slice(-30).join('\n')}`);
  }
  return child;
}
