import type { VendorCapabilities } from '../core/types';

/** Plans map to a service, before their organizations; our API user is an excluded resource of the ticket webhook. */
export const AUTOTASK_CAPABILITIES: VendorCapabilities = {
  planMapping: true,
  planBeforeOrganization: true,
  seatSyncSwitch: null,
};
