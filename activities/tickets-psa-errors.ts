/**
 * How a PSA failure leaves a ticket activity: throttling becomes a Temporal retry after the
 * vendor's Retry-After, permanent vendor refusals become non-retryable failures (the workflow
 * records them), and an auth failure marks the connection Unhealthy so no further PSA call is
 * made until the partner re-enters credentials. The failure `type` is always the class name.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../db/connect';
import { isPsaError, PsaAuthError, PsaRateLimitedError } from '../psa/core/errors';

export async function toActivityFailure(err: unknown, db: Db, connectionId: string): Promise<unknown> {
  if (!isPsaError(err)) return err;
  if (err instanceof PsaAuthError) {
    await db
      .updateTable('connections')
      .set({ health: 'unhealthy', healthReason: err.accountDisabled ? 'The API user is locked or inactive' : 'The PSA refused the stored credentials', healthCheckedAt: new Date(), updatedAt: new Date() })
      .where('id', '=', connectionId)
      .where('health', '=', 'healthy')
      .execute();
  }
  if (err instanceof PsaRateLimitedError) {
    return ApplicationFailure.create({ type: err.name, message: err.message, nextRetryDelay: Math.max(err.retryAfterMs, 100) });
  }
  return ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: !err.retryable });
}
