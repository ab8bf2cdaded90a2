/**
 * The drift rules of billing reconcile, pure so they are unit-tested and shared by the activity
 * and the client. The platform's seat count is the truth; the PSA is repaired with an absolute
 * set, except where a write could silently zero an invoice: a count of 0, or a drop of more than
 * `holdDropShare` of what the PSA bills, waits for a person's approval.
 */

export type DriftDecision =
  | { action: 'in_sync' }
  | { action: 'repair' }
  | { action: 'hold'; reason: string };

export interface DriftInput {
  /** The platform's seat count. */
  desired: number;
  /** What the PSA bills now. */
  psa: number;
  /** Share of the PSA's quantity (0–1) a drop may exceed only with approval. */
  holdDropShare: number;
}

export function decideDrift({ desired, psa, holdDropShare }: DriftInput): DriftDecision {
  if (desired === psa) return { action: 'in_sync' };
  if (desired === 0) return { action: 'hold', reason: `the platform reports 0 seats where the PSA bills ${psa}` };
  if (desired < psa && (psa - desired) / psa > holdDropShare) {
    return { action: 'hold', reason: `a drop from ${psa} to ${desired} is more than ${Math.round(holdDropShare * 100)}% of the billed quantity` };
  }
  return { action: 'repair' };
}

export type HoldStatus = 'pending' | 'approved' | 'dismissed' | 'applied' | 'superseded';

/**
 * What a run does with a drift the rules hold, given the latest decision on the same drift
 * (same desired and PSA quantity): write it once approved, leave it while pending or dismissed,
 * and open a new hold for a drift nobody has seen yet.
 */
export function heldDriftAction(previous: { status: HoldStatus; desired: number; psaQuantity: number } | null, desired: number, psa: number): 'write' | 'keep' | 'open' {
  if (!previous || previous.desired !== desired || previous.psaQuantity !== psa) return 'open';
  if (previous.status === 'approved') return 'write';
  if (previous.status === 'pending' || previous.status === 'dismissed') return 'keep';
  return 'open';
}
