/**
 * Keeps one child process running for the launcher: starts it, waits for it to say it is ready,
 * and when it exits unexpectedly says so loudly and starts it again after a backoff (1 s, 2 s,
 * 4 s … 30 s; back to 1 s once it ran a minute). A child that keeps crashing — 5 exits within
 * 2 minutes — is given up on, loudly, and the launcher decides what follows (it stops everything).
 */
import type { ChildProcess } from 'node:child_process';

export interface SupervisedOptions {
  /** Shown in every message, e.g. "API". */
  name: string;
  /** Starts a fresh child. */
  spawn(): ChildProcess;
  /** Resolves when the child is ready (e.g. it sent `{ type: 'ready' }`). */
  ready(child: ChildProcess): Promise<unknown>;
  /** Where messages go (the launcher prints them with its prefix). */
  say(message: string): void;
  /** Called once when the child is given up on. */
  onGiveUp(reason: string): void;
  maxRestarts?: number;
  windowMs?: number;
}

export class Supervised {
  private child: ChildProcess | null = null;
  private stopping = false;
  private exits: number[] = [];
  private backoffMs = 1000;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  /** How many times the child was started again after an unexpected exit. */
  restarts = 0;

  constructor(private readonly opts: SupervisedOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the child and resolves when it is ready (rejects if it exits first). */
  async start(): Promise<void> {
    const child = this.opts.spawn();
    this.child = child;
    this.startedAt = Date.now();
    const exited = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`${this.opts.name} exited with ${signal ?? code} before it was ready`))));
    exited.catch(() => undefined);
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    await Promise.race([this.opts.ready(child), exited]);
    this.opts.say(`${this.opts.name} running (pid ${child.pid})`);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || child !== this.child) return;
    const now = Date.now();
    if (now - this.startedAt > 60_000) this.backoffMs = 1000;
    this.exits = [...this.exits.filter((t) => now - t < (this.opts.windowMs ?? 120_000)), now];
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (this.exits.length >= (this.opts.maxRestarts ?? 5)) {
      this.opts.say(`!!! ${this.opts.name} ${how} — ${this.exits.length} times in a short while; giving up`);
      this.opts.onGiveUp(`${this.opts.name} keeps exiting`);
      return;
    }
    this.opts.say(`!!! ${this.opts.name} ${how} — starting it again in ${this.backoffMs / 1000} s`);
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.restarts += 1;
      this.start().catch((err: unknown) => this.opts.say(`!!! ${this.opts.name} did not come back: ${err instanceof Error ? err.message : String(err)}`));
    }, wait);
  }

  /** Stops the child for good: `signal` first, SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill(signal);
    });
  }
}

/** Resolves when a forked child sends `{ type: 'ready' }` over IPC. */
export function readyMessage(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      if (m && typeof m === 'object' && (m as { type?: unknown }).type === 'ready') {
        child.off('message', onMessage);
        resolve();
      }
    };
    child.on('message', onMessage);
  });
}
