/**
 * Per-item outcomes of batch writes. An item's own refusal (validation, not found) is its
 * outcome and the batch goes on; a refusal that would hit every item alike (credentials, a
 * missing right, the vendor's rate limit) stops the batch, and the items not yet sent carry that
 * same error without a request. A failed create whose error is retryable may have been made:
 * look it up by device id before creating it again.
 */
import { PsaCallAbandoned } from './call-context';
import { PsaError, PsaPermissionError, PsaUnavailableError } from './errors';
import type { WriteOutcome } from './configurations';

/** Errors that say nothing about the item and everything about the connection. */
export function stopsBatch(err: PsaError): boolean {
  return err.kind === 'auth' || err.kind === 'permission' || err.kind === 'rate_limited' || err.kind === 'config';
}

/**
 * A failure as an item's outcome. An abandoned call (its activity attempt is gone) is no outcome
 * of any item: it is rethrown, so the whole batch stops there and reports nothing made up.
 */
export function asPsaError(err: unknown): PsaError {
  if (err instanceof PsaCallAbandoned) throw err;
  if (err instanceof PsaError) return err;
  return new PsaUnavailableError(err instanceof Error ? err.message : String(err));
}

/**
 * Runs `fn` over `items`, at most `limit` at a time, in order of start; the connection's governor
 * still decides when each request goes. Returns one outcome per item, in the items' order.
 */
export async function eachItem<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<string>): Promise<WriteOutcome[]> {
  const out: WriteOutcome[] = new Array(items.length);
  let next = 0;
  let stop: PsaError | null = null;
  const worker = async () => {
    for (;;) {
      const i = next;
      next += 1;
      if (i >= items.length) return;
      if (stop) {
        out[i] = { ok: false, error: stop };
        continue;
      }
      try {
        out[i] = { ok: true, id: await fn(items[i] as T, i) };
      } catch (err) {
        const e = asPsaError(err);
        if (stopsBatch(e)) stop ??= e;
        out[i] = { ok: false, error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** The same outcome for every item of a batch sent as one request. */
export function allFailed(count: number, err: unknown): WriteOutcome[] {
  const e = asPsaError(err);
  return Array.from({ length: count }, () => ({ ok: false as const, error: e }));
}

/**
 * Re-throws a vendor's permission refusal with the right named as the vendor's role screen names
 * it, so the partner knows what to add; any other error passes through.
 */
export function namingRight(err: unknown, right: string, where: string): unknown {
  if (err instanceof PsaPermissionError && !err.message.includes(right)) {
    return new PsaPermissionError(`${err.message}. Needed: ${right} (${where})`, { status: err.status, cause: err });
  }
  return err;
}

export async function withRight<T>(right: string, where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw namingRight(err, right, where);
  }
}
