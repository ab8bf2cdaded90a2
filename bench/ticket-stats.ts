/** Small helpers of the ticket benchmark: pacing, bounded concurrency, percentiles. */
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
