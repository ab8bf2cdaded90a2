/**
 * The abort signal of the work a PSA call belongs to, carried implicitly through the adapters.
 * An activity attempt that Temporal has given up on (timed out, cancelled) must not go on to
 * write: its retry is already running and finds nothing yet, so a create the abandoned attempt
 * sends late is a duplicate. The HTTP layer reads this signal: a call waiting for the governor
 * leaves the queue, no new request is sent, and one in flight is aborted.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const current = new AsyncLocalStorage<AbortSignal>();

/** Runs `fn` with PSA calls made inside it bound to `signal` (no signal: unbound). */
export function withCallSignal<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return signal ? current.run(signal, fn) : fn();
}

/** The signal PSA calls made here are bound to, if any. */
export function callSignal(): AbortSignal | undefined {
  return current.getStore();
}

/** A PSA call stopped because the work it belonged to was abandoned; nothing further was sent. */
export class PsaCallAbandoned extends Error {
  override readonly name = 'PsaCallAbandoned';
  constructor(what: string) {
    super(`${what} was not sent: the activity attempt it belonged to was abandoned`);
  }
}
