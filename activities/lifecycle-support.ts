/**
 * What every lifecycle activity shares: the adapter provider, the translation of our domain
 * errors into typed Temporal failures, and the health rule — a PSA auth failure (locked or
 * inactive API user, revoked key) marks the connection Unhealthy (activities/connection-health.ts),
 * after which the provider refuses every PSA call except the re-test.
 */
import { Context } from '@temporalio/activity';
import type { PsaAdapter } from '../psa/core/types';
import { PSA_LABELS } from '../psa/core/types';
import { PsaAuthError, PsaConfigError, PsaPermissionError } from '../psa/core/errors';
import type { Connection } from '../db/schema';
import { ConnectionUnhealthyError, RuleViolation } from '../domain/errors';
import { domainFailure } from '../workflows/integration-messages';
import { adapterProviderFor, type AdapterProvider } from '../infra/psa-adapters';
import { connectionRefused } from './connection-health';
import type { ActivityDeps } from './deps';

export interface LifecycleContext extends ActivityDeps {
  adapters: AdapterProvider;
}

export function lifecycleContext(deps: ActivityDeps): LifecycleContext {
  return { ...deps, adapters: adapterProviderFor(deps) };
}

/** How often PSA-calling activities heartbeat; the workflow's heartbeatTimeout is a few times this. */
export const HEARTBEAT_EVERY_MS = 1000;

/**
 * Runs an activity body so our domain errors leave it as non-retryable failures with their code.
 * It heartbeats while it runs, so a worker killed mid-call is noticed within the heartbeat
 * timeout (seconds) rather than the start-to-close timeout (minutes), and the retry starts soon.
 */
export async function typed<T>(body: () => Promise<T>): Promise<T> {
  const context = inActivity();
  const beat = context ? setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS) : null;
  try {
    return await body();
  } catch (err) {
    throw domainFailure(err) ?? err;
  } finally {
    if (beat) clearInterval(beat);
  }
}

function inActivity(): Context | null {
  try {
    return Context.current();
  } catch {
    return null; // called outside an activity (unit use)
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `actor` as a users.id foreign key (null for 'platform'). */
export const actorUserId = (actor: string) => (UUID.test(actor) ? actor : null);

/**
 * Runs `body` with the connection's adapter. The provider refuses an Unhealthy connection before
 * any PSA call; an auth failure during the call makes it Unhealthy; a missing PSA right becomes a
 * rule violation the partner can act on.
 */
export async function withAdapter<T>(
  ctx: LifecycleContext,
  connectionId: string,
  actor: string,
  body: (adapter: PsaAdapter, connection: Connection) => Promise<T>,
): Promise<T> {
  const { adapter, connection } = await ctx.adapters.forConnection(connectionId);
  try {
    return await body(adapter, connection);
  } catch (err) {
    if (err instanceof PsaAuthError) throw new ConnectionUnhealthyError(await connectionRefused(ctx, connection, err, actor));
    if (err instanceof PsaPermissionError) {
      throw new RuleViolation('psa_permission_missing', `${PSA_LABELS[connection.psa]} refused the call: ${err.message}. Add the right to the API user's security role.`);
    }
    if (err instanceof PsaConfigError) throw new RuleViolation('psa_configuration', err.message);
    throw err;
  }
}
