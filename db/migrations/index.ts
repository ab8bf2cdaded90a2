import type { Migration } from 'kysely';
import * as initial from './2026_11_23T0001_initial';
import * as pendingCredentials from './2026_11_23T0400_pending_credentials';
import * as ticketTouch from './2026_11_23T2300_ticket_touch';
import * as directoryFeed from './2026_12_05T0100_directory_feed';
import * as reconcile from './2026_12_05T0300_reconcile';
import * as devices from './2026_12_05T0400_devices';
import * as psaBudget from './2026_12_05T1600_psa_budget';
import * as mappingBrokenBy from './2026_12_05T2100_mapping_broken_by';
import * as ticketOpenIntents from './2026_12_05T2200_ticket_open_intents';
import * as mappingPlan from './2026_12_06T0100_mapping_plan';

/**
 * Every migration, in order. A static record instead of FileMigrationProvider because the
 * latter uses dynamic import(), which jest's CommonJS runtime refuses.
 */
export const migrations: Record<string, Migration> = {
  '2026_11_23T0001_initial': initial,
  '2026_11_23T0400_pending_credentials': pendingCredentials,
  '2026_11_23T2300_ticket_touch': ticketTouch,
  '2026_12_05T0100_directory_feed': directoryFeed,
  '2026_12_05T0300_reconcile': reconcile,
  '2026_12_05T0400_devices': devices,
  '2026_12_05T1600_psa_budget': psaBudget,
  '2026_12_05T2100_mapping_broken_by': mappingBrokenBy,
  '2026_12_05T2200_ticket_open_intents': ticketOpenIntents,
  '2026_12_06T0100_mapping_plan': mappingPlan,
};
