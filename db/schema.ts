/**
 * kysely types of the database (camelCase; CamelCasePlugin maps to snake_case SQL).
 * Nullable columns are `T | null`; columns the database fills are `Generated<T>`.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { MappingValues, PsaKind } from '../psa/core/types';
import type { DeviceReport, DeviceSyncSettings } from '../domain/devices';
import type { PsaConfiguration } from '../psa/core/configurations';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, T | string, T | string>;

export type PartnerKind = 'master_reseller' | 'direct_reseller' | 'sub_reseller';
export type UserRole = 'owner' | 'super_admin' | 'admin' | 'technician' | 'billing' | 'read_only';
export type ConnectionStatus = 'connecting' | 'connected' | 'revoking' | 'revoked';
export type Health = 'healthy' | 'unhealthy';
export type AlertEvent = 'raised' | 'recovered';
export type OrganizationStatus = 'active' | 'suspended' | 'deleted';
export type DirectoryEntity = 'partner' | 'user' | 'plan' | 'organization';
/** A platform version: bigint in PostgreSQL, read back as a string. */
type Version = ColumnType<string, number | string | undefined, number | string>;

export interface PartnersTable {
  id: Generated<string>;
  name: string;
  kind: PartnerKind;
  parentId: string | null;
  createdAt: Generated<Date>;
  /** The platform's version of the record (bigint: read as a string). */
  version: Version;
  deletedAt: Timestamp | null;
}

export interface UsersTable {
  id: Generated<string>;
  partnerId: string;
  email: string;
  role: UserRole;
  createdAt: Generated<Date>;
  version: Version;
  /** An inactive user cannot sign in (every request is refused). */
  active: Generated<boolean>;
}

export interface ConnectionsTable {
  id: Generated<string>;
  partnerId: string;
  psa: PsaKind;
  status: ConnectionStatus;
  health: Generated<Health>;
  healthReason: string | null;
  healthCheckedAt: Timestamp | null;
  /** Non-secret facts: normalised site URL, codebase, zone URL, account name. */
  site: Json<Record<string, string>>;
  /** AES-256-GCM envelope (see security/crypto.ts), bound to this row's id. */
  credentials: Buffer | null;
  credentialsKeyId: string | null;
  webhookSubscriptionId: string | null;
  connectedAt: Timestamp | null;
  revokedAt: Timestamp | null;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
  /** The health the platform was last told of (migration 2026_12_05T0300); null before the first notice. */
  healthReported: Generated<Health | null>;
}

/** Re-entered credentials waiting for their test; they replace the stored ones only if the PSA accepts them. */
export interface PendingCredentialsTable {
  connectionId: string;
  credentials: Buffer;
  credentialsKeyId: string;
  createdAt: Generated<Date>;
}

export interface TicketMappingsTable {
  connectionId: string;
  settings: Json<MappingValues>;
  updatedBy: string | null;
  updatedAt: Generated<Date>;
}

export interface PlansTable {
  id: Generated<string>;
  partnerId: string;
  name: string;
  createdAt: Generated<Date>;
  version: Version;
  deletedAt: Timestamp | null;
}

export interface PlanAssignmentsTable {
  planId: string;
  partnerId: string;
}

export interface PlanMappingsTable {
  id: Generated<string>;
  planId: string;
  connectionId: string;
  psa: PsaKind;
  values: Json<MappingValues>;
  status: Generated<'synced' | 'broken'>;
  statusReason: string | null;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
}

export interface OrganizationsTable {
  id: Generated<string>;
  partnerId: string;
  planId: string;
  name: string;
  seatCount: Generated<number>;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
  version: Version;
  status: Generated<OrganizationStatus>;
}

export interface OrganizationMappingsTable {
  id: Generated<string>;
  organizationId: string;
  connectionId: string;
  psa: PsaKind;
  values: Json<MappingValues>;
  status: Generated<'mapped' | 'broken'>;
  statusReason: string | null;
  /** `health`: the health check found its PSA company / contract inactive (only it mends that); null: the billing object (reconcile mends). */
  brokenBy: 'health' | null;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
  /** What the directory changed under the mapping (`plan_not_mapped`, `plan_changed`); null when nothing. */
  flag: string | null;
  /** The plan the organization was on when mapped (its billing object is that plan's); null: not known. */
  planId: string | null;
}

export interface TicketsTable {
  id: Generated<string>;
  connectionId: string;
  organizationId: string;
  problem: string;
  marker: string;
  psaTicketId: string;
  psaTicketNumber: string | null;
  state: 'open' | 'closed';
  closedBy: 'engine' | 'psa' | null;
  noteCount: Generated<number>;
  /** Someone else has worked on the ticket (sticky; see migration 2026_11_23T2300). */
  touchedByOthers: Generated<boolean>;
  /** The PSA's change stamp after our last write (HaloPSA); null where the record names the changer. */
  psaWatermark: string | null;
  /** Token of the note being written (set before the PSA call, cleared after). */
  pendingNote: string | null;
  openedAt: Generated<Date>;
  closedAt: Timestamp | null;
  updatedAt: Generated<Date>;
}

export interface AlertsTable {
  id: Generated<string>;
  eventId: string;
  partnerId: string;
  organizationId: string;
  problem: string;
  event: AlertEvent;
  occurredAt: Timestamp;
  receivedAt: Generated<Date>;
  outcome: string | null;
  reason: string | null;
  ticketId: string | null;
  handledAt: Timestamp | null;
  detail: Json<Record<string, unknown>>;
}

export interface SeatSyncStateTable {
  organizationId: string;
  connectionId: string;
  desiredQuantity: number;
  pushedQuantity: number | null;
  status: 'pending' | 'in_sync' | 'failed';
  lastError: string | null;
  lastSyncedAt: Timestamp | null;
  updatedAt: Generated<Date>;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Generated<Date>;
  partnerId: string | null;
  connectionId: string | null;
  actor: string;
  action: string;
  target: string | null;
  outcome: 'ok' | 'error';
  detail: Json<Record<string, unknown>>;
}

export interface WebhookReceiptsTable {
  id: string;
  receivedAt: Generated<Date>;
}

export interface ReconcileReportsTable {
  id: Generated<string>;
  connectionId: string;
  partnerId: string;
  runId: string;
  status: 'running' | 'completed' | 'skipped' | 'failed';
  found: Generated<number>;
  repaired: Generated<number>;
  held: Generated<number>;
  broken: Generated<number>;
  psaCalls: Generated<number>;
  detail: Json<Record<string, unknown>>;
  startedAt: Generated<Date>;
  finishedAt: Timestamp | null;
}

export interface ReconcileHoldsTable {
  id: Generated<string>;
  connectionId: string;
  partnerId: string;
  organizationId: string;
  desired: number;
  psaQuantity: number;
  reason: string;
  status: Generated<'pending' | 'approved' | 'dismissed' | 'applied' | 'superseded'>;
  decidedBy: string | null;
  decidedAt: Timestamp | null;
  createdAt: Generated<Date>;
  updatedAt: Generated<Date>;
}

/** The platform's device inventory (see migration 2026_12_05T0400_devices). */
export interface DevicesTable {
  organizationId: string;
  deviceId: string;
  data: Json<DeviceReport>;
  deleted: Generated<boolean>;
  sourceUpdatedAt: Timestamp;
  version: ColumnType<string, string | number | undefined, string | number>;
  snapshotId: string | null;
  receivedAt: Generated<Date>;
}

export interface DeviceSnapshotsTable {
  organizationId: string;
  snapshotId: string;
  takenAt: Timestamp;
  parts: number;
  receivedParts: ColumnType<number[], number[] | undefined, number[]>;
  completedAt: Timestamp | null;
  deletedCount: number | null;
  createdAt: Generated<Date>;
}

export interface DeviceSyncSettingsTable {
  connectionId: string;
  settings: Json<DeviceSyncSettings>;
  version: Generated<number>;
  updatedBy: string | null;
  updatedAt: Generated<Date>;
}

export type DeviceLinkStatus = 'pending' | 'creating' | 'synced' | 'failed' | 'ambiguous' | 'skipped' | 'deactivated';

export interface DeviceLinksTable {
  connectionId: string;
  organizationId: string;
  deviceId: string;
  psaId: string | null;
  psaRecord: Json<PsaConfiguration> | null;
  pushedVersion: ColumnType<string, string | number | undefined, string | number>;
  settingsVersion: Generated<number>;
  status: DeviceLinkStatus;
  reason: string | null;
  claimedAt: Timestamp | null;
  updatedAt: Generated<Date>;
}

export interface DeviceOrgSyncTable {
  connectionId: string;
  organizationId: string;
  companyId: string;
  firstImportAt: Timestamp | null;
  lastPassAt: Timestamp | null;
}

/** A deleted directory record's last version, so an older upsert arriving late cannot resurrect it. */
export interface DirectoryTombstonesTable {
  entity: DirectoryEntity;
  id: string;
  version: Version;
  deletedAt: Generated<Date>;
}

/** One PSA request admitted against a shared budget (psa/core/governor.ts); see the psa_budget migration. */
export interface PsaBudgetLedgerTable {
  id: Generated<string>;
  budgetKey: string;
  /** When it was admitted, then when it completed. */
  at: Generated<Date>;
}

export interface PsaBudgetPausesTable {
  budgetKey: string;
  pausedUntil: Date;
}

export interface TicketOpenIntentsTable {
  marker: string;
  createdAt: Generated<Date>;
}

export interface Database {
  partners: PartnersTable;
  users: UsersTable;
  connections: ConnectionsTable;
  pendingCredentials: PendingCredentialsTable;
  ticketMappings: TicketMappingsTable;
  plans: PlansTable;
  planAssignments: PlanAssignmentsTable;
  planMappings: PlanMappingsTable;
  organizations: OrganizationsTable;
  organizationMappings: OrganizationMappingsTable;
  tickets: TicketsTable;
  ticketOpenIntents: TicketOpenIntentsTable;
  alerts: AlertsTable;
  seatSyncState: SeatSyncStateTable;
  auditLog: AuditLogTable;
  webhookReceipts: WebhookReceiptsTable;
  reconcileReports: ReconcileReportsTable;
  reconcileHolds: ReconcileHoldsTable;
  devices: DevicesTable;
  deviceSnapshots: DeviceSnapshotsTable;
  deviceSyncSettings: DeviceSyncSettingsTable;
  deviceLinks: DeviceLinksTable;
  deviceOrgSync: DeviceOrgSyncTable;
  directoryTombstones: DirectoryTombstonesTable;
  psaBudgetLedger: PsaBudgetLedgerTable;
  psaBudgetPauses: PsaBudgetPausesTable;
}

export type Partner = Selectable<PartnersTable>;
export type User = Selectable<UsersTable>;
export type Connection = Selectable<ConnectionsTable>;
export type NewConnection = Insertable<ConnectionsTable>;
export type ConnectionUpdate = Updateable<ConnectionsTable>;
export type PlanMapping = Selectable<PlanMappingsTable>;
export type Organization = Selectable<OrganizationsTable>;
export type OrganizationMapping = Selectable<OrganizationMappingsTable>;
export type Ticket = Selectable<TicketsTable>;
export type Alert = Selectable<AlertsTable>;
