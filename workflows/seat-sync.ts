/**
 * Seat sync: one workflow per organization (`seats/<organizationId>`), started or nudged with
 * signal-with-start whenever the platform reports a seat count. Changes are debounced so a
 * burst of seat changes costs one PSA write, and the write is an absolute, idempotent set of
 * the latest count read from PostgreSQL at push time — never a replay of stale values.
 */
import { condition, defineSignal, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createSeatActivities } from '../activities/seats';
import { psaActivity } from './options';
import { OrganizationIdKey, PartnerIdKey } from './search-attributes';

export const seatsChangedSignal = defineSignal('seatsChanged');
/** Same name the lifecycle's revoke sends to every running sync of the integration. */
export const seatSyncRevokedSignal = defineSignal('integrationRevoked');

export const seatSyncWorkflowId = (organizationId: string) => `seats/${organizationId}`;

export interface SeatSyncInput {
  organizationId: string;
  partnerId: string;
  /** Quiet period after the last change before pushing (ms). */
  debounceMs: number;
  /** How long an idle workflow waits for another change before it ends (ms). */
  idleMs: number;
}

export interface SeatSyncSummary {
  pushes: number;
  lastOutcome: string | null;
}

const { pushSeatQuantity } = proxyActivities<ReturnType<typeof createSeatActivities>>(psaActivity);

export async function seatSyncWorkflow(input: SeatSyncInput): Promise<SeatSyncSummary> {
  upsertSearchAttributes([
    { key: OrganizationIdKey, value: input.organizationId },
    { key: PartnerIdKey, value: input.partnerId },
  ]);
  let changes = 1; // being started means a change happened
  let revoked = false;
  setHandler(seatsChangedSignal, () => {
    changes += 1;
  });
  setHandler(seatSyncRevokedSignal, () => {
    revoked = true;
  });

  const summary: SeatSyncSummary = { pushes: 0, lastOutcome: null };
  for (;;) {
    // Debounce: wait until no new change arrives for a whole quiet period.
    for (let seen = changes; ; seen = changes) {
      await condition(() => changes !== seen || revoked, input.debounceMs);
      if (changes === seen || revoked) break;
    }
    if (revoked) return { ...summary, lastOutcome: 'revoked' };
    const pushedFor = changes;
    const outcome = await pushSeatQuantity(input.organizationId);
    summary.pushes += 1;
    summary.lastOutcome = outcome.status;
    if (changes !== pushedFor) continue; // more arrived while we pushed
    const more = await condition(() => changes !== pushedFor || revoked, input.idleMs);
    if (!more || revoked) return revoked ? { ...summary, lastOutcome: 'revoked' } : summary;
  }
}
