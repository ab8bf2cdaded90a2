import type { VendorCapabilities } from '../core/types';

/** Plans map to a catalog item (category…item), before their organizations; callbacks are self-suppressed. */
export const CONNECTWISE_CAPABILITIES: VendorCapabilities = {
  planMapping: true,
  planBeforeOrganization: true,
  seatSyncSwitch: null,
};
