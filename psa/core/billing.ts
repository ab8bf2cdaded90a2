/**
 * Helpers the adapters' billing list passes share: unique ids of the mappings, chunks for
 * `in (…)` filters, and a small pool so per-parent lists (ConnectWise additions) overlap while the
 * connection's governor still decides when each request goes.
 */
import type { BillingState, MappingValues } from './types';

/** Distinct positive integer ids found under `field` in the mappings. */
export function idsOf(mappings: readonly MappingValues[], field: string): number[] {
  const out = new Set<number>();
  for (const m of mappings) {
    const id = Number(m[field]);
    if (Number.isInteger(id) && id > 0) out.add(id);
  }
  return [...out];
}

export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` over `items`, at most `limit` at a time; the first failure rejects once the rest settle. */
export async function inPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw failure;
}

export const brokenBilling = (reason: string): BillingState => ({ state: 'broken', reason });
export const billable = (quantity: number, ref: Record<string, string> = {}): BillingState => ({ state: 'ok', line: { quantity, ref } });
