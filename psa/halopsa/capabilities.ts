import type { VendorCapabilities } from '../core/types';

/**
 * No plan form (organizations map to a customer and software licence); the integration
 * configuration's "Sync seat quantity" switches seat sync.
 * (Its webhooks also fire for our own actions; its ticket-event verifier tells them apart.)
 */
export const HALOPSA_CAPABILITIES: VendorCapabilities = {
  planMapping: false,
  planBeforeOrganization: false,
  seatSyncSwitch: 'syncSeatQuantity',
};
