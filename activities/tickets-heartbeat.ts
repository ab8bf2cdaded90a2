/**
 * PSA calls made as ordinary activities (by service-ticket runs from before revision 2) heartbeat
 * while they run, so when a worker dies mid-call Temporal retries the activity after the (short)
 * heartbeat timeout instead of the whole start-to-close timeout.
 */
import { Context } from '@temporalio/activity';

const EVERY_MS = 1_000;

export async function heartbeating<T>(fn: () => Promise<T>): Promise<T> {
  let ctx: Context | null = null;
  try {
    ctx = Context.current();
  } catch {
    ctx = null; // called outside an activity (scripts): nothing to beat
  }
  // Local activities cannot heartbeat: the workflow task timeout covers a killed worker.
  if (!ctx || ctx.info.isLocal) return fn();
  const c = ctx;
  // No beat at the start: the heartbeat timeout runs from the activity's start anyway, and most
  // calls finish long before the first interval, so they cost the server no heartbeat at all.
  const timer = setInterval(() => c.heartbeat(), EVERY_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
