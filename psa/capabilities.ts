/**
 * PsaKind → what the vendor can do, for code that must not load the adapters (workflow code and
 * the pure rules in domain/). The same objects sit on each adapter factory as `capabilities`.
 */
import type { PsaKind, VendorCapabilities } from './core/types';
import { CONNECTWISE_CAPABILITIES } from './connectwise/capabilities';
import { AUTOTASK_CAPABILITIES } from './autotask/capabilities';
import { HALOPSA_CAPABILITIES } from './halopsa/capabilities';

const CAPABILITIES_BY_PSA: Record<PsaKind, VendorCapabilities> = {
  connectwise: CONNECTWISE_CAPABILITIES,
  autotask: AUTOTASK_CAPABILITIES,
  halopsa: HALOPSA_CAPABILITIES,
};

export function capabilitiesOf(psa: PsaKind): VendorCapabilities {
  return CAPABILITIES_BY_PSA[psa];
}
