/** Small helpers of the ticket benchmark: pacing, bounded concurrency, percentiles. */
import fs from 'node:fs';
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Starts `fn` for each item at `perSecond` (on schedule, not after the previous finished). */
export async function runPaced<T, R>(items: readonly T[], perSecond: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const t0 = Date.now();
  const running: Promise<R>[] = [];
  for (let i = 0; i < items.length; i += 1) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    running.push(fn(items[i] as T, i));
  }
  return Promise.all(running);
}

/** Runs `fn` over items with at most `concurrency` in flight; results in input order. */
export async function runPool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** CPU seconds (user + system) used so far by each process `match` picks from /proc (Linux). */
export function cpuSeconds(match: (pid: number, cmdline: string) => boolean): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!match(pid, cmdline)) continue;
      // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND);
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export type CpuGroup = 'temporal' | 'worker' | 'postgres' | 'bench';
export type CpuSnapshot = Record<CpuGroup, Map<number, number>>;

/** Where the CPU goes: the Temporal server, the worker, PostgreSQL, and this process (client, API, simulators). */
export function cpuSnapshot(workerPid: number | undefined): CpuSnapshot {
  return {
    temporal: cpuSeconds((_pid, cmd) => /temporal(\.exe)? server start-dev|temporal-server/.test(cmd)),
    worker: cpuSeconds((pid) => pid === workerPid),
    postgres: cpuSeconds((_pid, cmd) => cmd.startsWith('postgres') || cmd.includes('/bin/postgres')),
    bench: cpuSeconds((pid) => pid === process.pid),
  };
}

/** CPU seconds per group between two snapshots (processes that ended in between are not counted). */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): Record<CpuGroup, number> {
  const sum = (g: CpuGroup) => [...b[g]].reduce((n, [pid, s]) => n + Math.max(0, s - (a[g].get(pid) ?? 0)), 0);
  return { temporal: sum('temporal'), worker: sum('worker'), postgres: sum('postgres'), bench: sum('bench') };
}
