/**
 * What each vendor provides so one contract suite (`test/unit/psa/contract.test.ts`) can run
 * against all three adapters over real HTTP to their simulators.
 */
import type { PsaAdapter, PsaKind, MappingValues, Capability } from '../../../../psa/core/types';
import type { SimServer } from '../../../../sims/common/server';
import type { GovernorLimits } from '../../../../psa/core/governor';

export interface ContractHarness {
  readonly psa: PsaKind;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The running simulator (fault injection, request log). */
  readonly sim: SimServer;
  /** An adapter with the seeded valid credentials. */
  adapter(options?: { limits?: Partial<GovernorLimits>; key?: string }): Promise<PsaAdapter>;
  /** An adapter whose secret is wrong. */
  badCredentialsAdapter(): Promise<PsaAdapter>;
  /** Valid values from the seeded fixtures. */
  readonly fixtures: {
    ticketMapping: MappingValues;
    /** Empty for HaloPSA (plans are not mapped there). */
    planMapping: MappingValues;
    organization: MappingValues;
    /** Billing quantity the seeded billing object starts with. */
    initialQuantity: number;
  };
  /** Locks / deactivates the API user (Autotask locked user, CW deactivated member, Halo disabled app). */
  lockApiUser(): void;
  unlockApiUser(): void;
  /** Removes one right from the API user's role. */
  revokeCapability(capability: Capability): void;
  /** Gives back every right revokeCapability took. */
  restoreCapabilities(): void;
  /** Deletes the organization's billing object in the PSA. */
  deleteBillingObject(): void;
  /** The organization's PSA company / contract / customer is set inactive; returns what sets it active again. */
  deactivateParent(): () => void;
  /** A technician works on the ticket (adds a note by a person), as in the PSA UI. */
  technicianTouches(ticketId: string): void;
  /** A technician closes the ticket in the PSA UI (fires the vendor's webhook if subscribed). */
  closeInPsa(ticketId: string): Promise<void>;
  /** Number of tickets in the simulator carrying `marker`. */
  ticketsWithMarker(marker: string): number;

  /** Valid values for configurations, companies and contacts in the seeded tenant. */
  readonly inventory: InventoryFixtures;
  /** Configurations in the simulator (active or not) carrying our device id. */
  configurationsWithDevice(deviceId: string): number;
  /** Takes the configuration right away: `write` keeps reading (Add / Edit off), `all` removes it. */
  revokeConfigurationRight(level: 'write' | 'all'): void;
  /**
   * Takes billing write rights away, reads stay: `create` only what the import's billing objects
   * are made with (ConnectWise Agreements Add + Contacts Add, Autotask Contracts Add; HaloPSA has
   * one licence write level, so it is the same as `all`); `all` seat sync's writes too.
   */
  revokeBillingWrites(scope: 'create' | 'all'): void;
  /** The rights the probe names as limited after `revokeBillingWrites('create')` (none where they are needed). */
  readonly importBillingRights: readonly string[];
}

export interface InventoryFixtures {
  company: string;
  site: string;
  type: string;
  inactiveType: string;
  /** Configurations already in `company` without our device id. */
  existing: readonly { id: string; name: string; serialNumber: string }[];
  /** Two custom fields / UDFs (the second a date) and one of the configuration's own text fields. */
  customText: string;
  customDate: string;
  ownField: string;
  /** The words the PSA uses for the configuration right (found in permission errors). */
  rightWords: string;
  /** A contact of `company` and two last-logged-in-user spellings that name it. */
  contact: { id: string; lastLoggedIn: readonly string[] };
  /** What a new company needs beyond its name on this PSA (Halo top level, Autotask phone). */
  companyExtras: { parentId?: string; phone?: string };
}
