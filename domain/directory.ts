/**
 * The platform's directory feed, as pure rules: each record (partner, user, plan, organization;
 * an upsert or a delete, carrying the platform's version) is decided against a view of the
 * directory — applied, unchanged (a repeat), stale (older than what is stored or than its
 * tombstone) or refused with a stable code — and an applied record changes the view, so later
 * records of the same batch see it. The repository loads the view and writes what was applied;
 * the client runs the consequences through the lifecycle workflows. No I/O.
 */
import { z } from 'zod';
import type { OrganizationStatus, PartnerKind, UserRole, DirectoryEntity } from '../db/schema';
import type { PsaKind } from '../psa/core/types';
import { capabilitiesOf } from '../psa/capabilities';
import { safeText, uuidId } from './input';
import type { RuleCode } from './error-catalogue';

export const PARTNER_KINDS = ['master_reseller', 'direct_reseller', 'sub_reseller'] as const satisfies readonly PartnerKind[];
export const USER_ROLES = ['owner', 'super_admin', 'admin', 'technician', 'billing', 'read_only'] as const satisfies readonly UserRole[];
export const ORGANIZATION_STATUSES = ['active', 'suspended', 'deleted'] as const satisfies readonly OrganizationStatus[];
export const DIRECTORY_ENTITIES = ['partner', 'user', 'plan', 'organization'] as const satisfies readonly DirectoryEntity[];

/** Largest batch accepted in one call. */
export const MAX_BATCH_RECORDS = 10_000;

/** The platform's version: a monotonic integer per record (bigint in PostgreSQL, exact in a double). */
export const versionSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const name = () => safeText().trim().min(1).max(200);

export const partnerFields = z
  .object({ version: versionSchema, name: name(), kind: z.enum(PARTNER_KINDS), parentId: uuidId().nullable() })
  .strict();
export const userFields = z
  .object({ version: versionSchema, partnerId: uuidId(), email: safeText().trim().toLowerCase().pipe(z.email().max(320)), role: z.enum(USER_ROLES), active: z.boolean() })
  .strict();
export const planFields = z
  .object({ version: versionSchema, ownerPartnerId: uuidId(), name: name(), assignedTo: z.array(uuidId()).max(1000).default([]) })
  .strict();
export const organizationFields = z
  .object({
    version: versionSchema,
    partnerId: uuidId(),
    planId: uuidId(),
    name: name(),
    seatCount: z.number().int().min(0).max(1_000_000),
    status: z.enum(ORGANIZATION_STATUSES).default('active'),
  })
  .strict();
export const deleteFields = z.object({ version: versionSchema }).strict();

const id = uuidId();
/** One record of a batch: an upsert carries the record's fields, a delete only its version. */
export const batchRecordSchema = z.discriminatedUnion('op', [
  z.discriminatedUnion('type', [
    z.object({ op: z.literal('upsert'), type: z.literal('partner'), id }).extend(partnerFields.shape).strict(),
    z.object({ op: z.literal('upsert'), type: z.literal('user'), id }).extend(userFields.shape).strict(),
    z.object({ op: z.literal('upsert'), type: z.literal('plan'), id }).extend(planFields.shape).strict(),
    z.object({ op: z.literal('upsert'), type: z.literal('organization'), id }).extend(organizationFields.shape).strict(),
  ]),
  z.object({ op: z.literal('delete'), type: z.enum(DIRECTORY_ENTITIES), id, version: versionSchema }).strict(),
]);
export type BatchRecord = z.infer<typeof batchRecordSchema>;
type Upsert<T extends DirectoryEntity> = Extract<BatchRecord, { op: 'upsert'; type: T }>;

// ---- the view ---------------------------------------------------------------------------------

export interface PartnerRow {
  id: string;
  name: string;
  kind: PartnerKind;
  parentId: string | null;
  version: number;
  deleted: boolean;
}
export interface UserRow {
  id: string;
  partnerId: string;
  email: string;
  role: UserRole;
  active: boolean;
  version: number;
}
export interface PlanRow {
  id: string;
  partnerId: string;
  name: string;
  assignedTo: string[];
  version: number;
  deleted: boolean;
  /** Connections the plan is mapped on. */
  mappedOn: string[];
}
export interface OrganizationRow {
  id: string;
  partnerId: string;
  planId: string;
  name: string;
  seatCount: number;
  status: OrganizationStatus;
  version: number;
  /** `planId`: the plan it was mapped under (null: not known). */
  mapping: { connectionId: string; psa: PsaKind; flag: string | null; planId: string | null } | null;
}

/** What the batch is decided against: the stored rows it touches or refers to, and tombstones. */
export interface DirectoryView {
  partners: Map<string, PartnerRow>;
  users: Map<string, UserRow>;
  plans: Map<string, PlanRow>;
  organizations: Map<string, OrganizationRow>;
  /** `entity:id` → version of the delete. */
  tombstones: Map<string, number>;
  /** Email → the user who has it (every stored user the batch could collide with). */
  emails: Map<string, string>;
}

export const emptyView = (): DirectoryView => ({ partners: new Map(), users: new Map(), plans: new Map(), organizations: new Map(), tombstones: new Map(), emails: new Map() });
export const tombstoneKey = (entity: DirectoryEntity, recordId: string) => `${entity}:${recordId}`;

// ---- decisions --------------------------------------------------------------------------------

export type Outcome = 'applied' | 'unchanged' | 'stale' | 'refused';

export interface Decision {
  outcome: Outcome;
  code?: RuleCode | 'invalid_input';
  message?: string;
}

/** What the writer must store for the records applied (last state per record). */
export interface DirectoryWrites {
  partners: Map<string, PartnerRow>;
  users: Map<string, UserRow>;
  deletedUsers: Set<string>;
  plans: Map<string, PlanRow>;
  organizations: Map<string, OrganizationRow>;
  /** Organization id → its mapping's new flag (only where it changes). */
  flags: Map<string, string | null>;
  tombstones: Map<string, { entity: DirectoryEntity; id: string; version: number }>;
  /** Tombstones an applied upsert supersedes (the record was created again). */
  cleared: Set<string>;
  /** Mapped, active organizations whose seat count changed (or that were resumed): their seat sync is nudged. */
  seatChanges: Set<string>;
}

export const emptyWrites = (): DirectoryWrites => ({
  partners: new Map(),
  users: new Map(),
  deletedUsers: new Set(),
  plans: new Map(),
  organizations: new Map(),
  flags: new Map(),
  tombstones: new Map(),
  cleared: new Set(),
  seatChanges: new Set(),
});

const refuse = (code: RuleCode, message: string): Decision => ({ outcome: 'refused', code, message });
const applied: Decision = { outcome: 'applied' };

/** The stored version of a record (its row or its tombstone, whichever is newer); -1 when never seen. */
function storedVersion(view: DirectoryView, entity: DirectoryEntity, recordId: string): number {
  const row = entity === 'partner' ? view.partners.get(recordId) : entity === 'user' ? view.users.get(recordId) : entity === 'plan' ? view.plans.get(recordId) : view.organizations.get(recordId);
  return Math.max(row?.version ?? -1, view.tombstones.get(tombstoneKey(entity, recordId)) ?? -1);
}

/** Repeat or older: unchanged when the version is the stored one, stale when older. */
function versionGate(view: DirectoryView, entity: DirectoryEntity, recordId: string, version: number): Decision | null {
  const stored = storedVersion(view, entity, recordId);
  if (version > stored) return null;
  return version === stored ? { outcome: 'unchanged' } : { outcome: 'stale', message: `version ${version} is older than the stored version ${stored}` };
}

const livePartner = (view: DirectoryView, partnerId: string) => {
  const p = view.partners.get(partnerId);
  return p && !p.deleted ? p : undefined;
};

/** Decides one parsed record against the view; an applied record updates `view` and `writes`. */
export function decide(view: DirectoryView, writes: DirectoryWrites, record: BatchRecord): Decision {
  const gate = versionGate(view, record.type, record.id, record.version);
  if (gate) return gate;
  if (record.op === 'delete') return decideDelete(view, writes, record);
  switch (record.type) {
    case 'partner':
      return upsertPartner(view, writes, record);
    case 'user':
      return upsertUser(view, writes, record);
    case 'plan':
      return upsertPlan(view, writes, record);
    case 'organization':
      return upsertOrganization(view, writes, record);
  }
}

function cleared(view: DirectoryView, writes: DirectoryWrites, entity: DirectoryEntity, recordId: string) {
  const key = tombstoneKey(entity, recordId);
  if (view.tombstones.delete(key)) writes.cleared.add(key);
  writes.tombstones.delete(key);
}

function upsertPartner(view: DirectoryView, writes: DirectoryWrites, r: Upsert<'partner'>): Decision {
  if (r.kind === 'sub_reseller' && r.parentId === null) return refuse('parent_required', `Partner ${r.id} is a sub-reseller and needs a parent partner`);
  if (r.kind !== 'sub_reseller' && r.parentId !== null) return refuse('parent_not_allowed', `Partner ${r.id} is a ${r.kind.replace('_', ' ')} and cannot have a parent`);
  if (r.parentId !== null) {
    if (!livePartner(view, r.parentId)) return refuse('parent_not_found', `Parent partner ${r.parentId} does not exist`);
    // Walk up from the parent: reaching the partner itself means the tree would become a cycle.
    const seen = new Set<string>();
    for (let cur: string | null = r.parentId; cur !== null && !seen.has(cur); cur = view.partners.get(cur)?.parentId ?? null) {
      if (cur === r.id) return refuse('partner_cycle', `Partner ${r.parentId} is ${r.id} itself or one of its sub-resellers`);
      seen.add(cur);
    }
  }
  const row: PartnerRow = { id: r.id, name: r.name, kind: r.kind, parentId: r.parentId, version: r.version, deleted: false };
  view.partners.set(r.id, row);
  writes.partners.set(r.id, row);
  cleared(view, writes, 'partner', r.id);
  return applied;
}

function upsertUser(view: DirectoryView, writes: DirectoryWrites, r: Upsert<'user'>): Decision {
  if (!livePartner(view, r.partnerId)) return refuse('partner_not_found', `Partner ${r.partnerId} does not exist`);
  const holder = view.emails.get(r.email);
  if (holder !== undefined && holder !== r.id) return refuse('email_taken', `Another user already has the email address of user ${r.id}`);
  const row: UserRow = { id: r.id, partnerId: r.partnerId, email: r.email, role: r.role, active: r.active, version: r.version };
  const previous = view.users.get(r.id);
  if (previous) view.emails.delete(previous.email);
  view.emails.set(r.email, r.id);
  view.users.set(r.id, row);
  writes.users.set(r.id, row);
  writes.deletedUsers.delete(r.id);
  cleared(view, writes, 'user', r.id);
  return applied;
}

function upsertPlan(view: DirectoryView, writes: DirectoryWrites, r: Upsert<'plan'>): Decision {
  if (!livePartner(view, r.ownerPartnerId)) return refuse('partner_not_found', `Partner ${r.ownerPartnerId} does not exist`);
  const assignedTo = [...new Set(r.assignedTo)];
  for (const a of assignedTo) {
    const p = livePartner(view, a);
    if (!p || p.kind !== 'sub_reseller' || p.parentId !== r.ownerPartnerId) return refuse('plan_assignee_invalid', `Partner ${a} is not a sub-reseller of the plan owner ${r.ownerPartnerId}`);
  }
  // Organizations on the plan must still be allowed it: an owner or an assignment they rely on stays.
  const stranded = [...view.organizations.values()].find((o) => o.planId === r.id && o.status !== 'deleted' && o.partnerId !== r.ownerPartnerId && !assignedTo.includes(o.partnerId));
  if (stranded) return refuse('plan_in_use', `Organization ${stranded.id} of partner ${stranded.partnerId} is on plan ${r.id}; move it before taking the plan from its partner`);
  const before = view.plans.get(r.id);
  const row: PlanRow = { id: r.id, partnerId: r.ownerPartnerId, name: r.name, assignedTo, version: r.version, deleted: false, mappedOn: before?.mappedOn ?? [] };
  view.plans.set(r.id, row);
  writes.plans.set(r.id, row);
  cleared(view, writes, 'plan', r.id);
  return applied;
}

/**
 * Why an organization's mapping needs attention after its plan changed; null when it does not.
 * Only where the billing object belongs to the plan (`planBeforeOrganization`): `plan_not_mapped`
 * when the organization's plan is not mapped on the connection, else `plan_changed` when it is not
 * the plan the mapping was made under (its billing object still sells the old plan's item).
 */
export function mappingFlag(mapping: { connectionId: string; psa: PsaKind; planId?: string | null }, plan: PlanRow | undefined): string | null {
  if (!capabilitiesOf(mapping.psa).planBeforeOrganization) return null;
  if (!plan || plan.deleted || !plan.mappedOn.includes(mapping.connectionId)) return 'plan_not_mapped';
  return mapping.planId && mapping.planId !== plan.id ? 'plan_changed' : null;
}

function upsertOrganization(view: DirectoryView, writes: DirectoryWrites, r: Upsert<'organization'>): Decision {
  if (!livePartner(view, r.partnerId)) return refuse('partner_not_found', `Partner ${r.partnerId} does not exist`);
  const plan = view.plans.get(r.planId);
  if (!plan || plan.deleted) return refuse('plan_not_found', `Plan ${r.planId} does not exist`);
  if (plan.partnerId !== r.partnerId && !plan.assignedTo.includes(r.partnerId)) {
    return refuse('plan_not_available', `Plan ${r.planId} is neither partner ${r.partnerId}'s own nor assigned to it`);
  }
  const before = view.organizations.get(r.id);
  const mapping = before?.mapping ?? null;
  if (mapping && before && before.partnerId !== r.partnerId) {
    return refuse('organization_moved_while_mapped', `Organization ${r.id} is mapped to a PSA; unlink it before moving it to partner ${r.partnerId}`);
  }
  const flag = mapping ? mappingFlag(mapping, plan) : null;
  const row: OrganizationRow = { id: r.id, partnerId: r.partnerId, planId: r.planId, name: r.name, seatCount: r.seatCount, status: r.status, version: r.version, mapping: mapping ? { ...mapping, flag } : null };
  if (mapping && mapping.flag !== flag) writes.flags.set(r.id, flag);
  if (mapping && r.status === 'active' && (before?.seatCount !== r.seatCount || before?.status !== 'active')) writes.seatChanges.add(r.id);
  else writes.seatChanges.delete(r.id);
  view.organizations.set(r.id, row);
  writes.organizations.set(r.id, row);
  cleared(view, writes, 'organization', r.id);
  return applied;
}

function decideDelete(view: DirectoryView, writes: DirectoryWrites, r: Extract<BatchRecord, { op: 'delete' }>): Decision {
  const key = tombstoneKey(r.type, r.id);
  switch (r.type) {
    case 'partner': {
      const row = view.partners.get(r.id);
      if (row && !row.deleted) {
        const child = [...view.partners.values()].find((p) => p.parentId === r.id && !p.deleted);
        if (child) return refuse('partner_has_children', `Partner ${r.id} still has the sub-reseller ${child.id}`);
      }
      if (row) {
        const gone = { ...row, version: r.version, deleted: true };
        view.partners.set(r.id, gone);
        writes.partners.set(r.id, gone);
      }
      break;
    }
    case 'user': {
      const previous = view.users.get(r.id);
      if (previous) view.emails.delete(previous.email);
      view.users.delete(r.id);
      writes.users.delete(r.id);
      writes.deletedUsers.add(r.id);
      break;
    }
    case 'plan': {
      const row = view.plans.get(r.id);
      if (row && !row.deleted) {
        const inUse = [...view.organizations.values()].some((o) => o.planId === r.id && o.status !== 'deleted');
        if (inUse || row.mappedOn.length > 0) return refuse('plan_in_use', `Plan ${r.id} still has organizations or PSA mappings`);
      }
      if (row) {
        const gone = { ...row, version: r.version, deleted: true };
        view.plans.set(r.id, gone);
        writes.plans.set(r.id, gone);
      }
      break;
    }
    case 'organization': {
      const row = view.organizations.get(r.id);
      if (row) {
        const gone: OrganizationRow = { ...row, version: r.version, status: 'deleted' };
        view.organizations.set(r.id, gone);
        writes.organizations.set(r.id, gone);
      }
      break;
    }
  }
  view.tombstones.set(key, r.version);
  writes.tombstones.set(key, { entity: r.type, id: r.id, version: r.version });
  writes.cleared.delete(key);
  return applied;
}

/**
 * Partner upserts whose parents, followed through the batch's own partner upserts, lead back to
 * themselves: two new partners sent under each other. Neither parent exists when the first is
 * decided, so without this the refusal would read `parent_not_found`; it is a cycle.
 */
/** The refusal of a partner `partnerCyclesInBatch` found on a cycle. */
export const partnerCycleInBatch = (partnerId: string): Decision => refuse('partner_cycle', `Partner ${partnerId} is sent under its own sub-reseller in this batch`);

export function partnerCyclesInBatch(records: readonly (BatchRecord | null)[]): Set<number> {
  const parentOf = new Map<string, string | null>();
  const upserts: { index: number; id: string }[] = [];
  records.forEach((r, index) => {
    if (r?.op !== 'upsert' || r.type !== 'partner') return;
    parentOf.set(r.id, r.parentId);
    upserts.push({ index, id: r.id });
  });
  const cyclic = new Set<number>();
  for (const { index, id } of upserts) {
    const seen = new Set<string>();
    for (let cur = parentOf.get(id) ?? null; cur !== null && parentOf.has(cur) && !seen.has(cur); cur = parentOf.get(cur) ?? null) {
      if (cur === id) {
        cyclic.add(index);
        break;
      }
      seen.add(cur);
    }
  }
  return cyclic;
}

/**
 * The order records are decided in: user deletes, then upserts before the other deletes; partners (parents first, whatever
 * their order in the batch), plans, users, organizations; deletes the other way round (an
 * organization before its plan, a sub-reseller before its parent). Returns indexes into `records`.
 */
export function decisionOrder(records: readonly (BatchRecord | null)[]): number[] {
  const rank = (r: BatchRecord): number => {
    const base = { partner: 0, plan: 1, user: 2, organization: 3 }[r.type];
    // A user's delete first: nothing depends on a user, and it frees an email for the batch's upserts.
    if (r.op === 'delete' && r.type === 'user') return -1;
    return r.op === 'upsert' ? base : 7 - base;
  };
  const indexes = records.map((_, i) => i).filter((i) => records[i] !== null);
  indexes.sort((a, b) => rank(records[a] as BatchRecord) - rank(records[b] as BatchRecord) || a - b);
  // Partner upserts: a parent sent in the same batch is decided before its sub-resellers.
  const partnerUpserts = indexes.filter((i) => (records[i] as BatchRecord).op === 'upsert' && (records[i] as BatchRecord).type === 'partner');
  const byId = new Map<string, number[]>();
  for (const i of partnerUpserts) {
    const r = records[i] as Upsert<'partner'>;
    byId.set(r.id, [...(byId.get(r.id) ?? []), i]);
  }
  const ordered: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (i: number) => {
    if (state.has(i)) return; // done, or a cycle within the batch (decide() refuses it)
    state.set(i, 'visiting');
    const parent = (records[i] as Upsert<'partner'>).parentId;
    for (const j of parent ? (byId.get(parent) ?? []) : []) visit(j);
    state.set(i, 'done');
    ordered.push(i);
  };
  partnerUpserts.forEach(visit);
  const isPartnerDelete = (i: number) => (records[i] as BatchRecord).op === 'delete' && (records[i] as BatchRecord).type === 'partner';
  const placed = new Set(partnerUpserts);
  const rest = indexes.filter((i) => !placed.has(i) && !isPartnerDelete(i));
  // Partner deletes come last; the client decides again those refused for sub-resellers the batch deletes later.
  return [...ordered, ...rest, ...indexes.filter(isPartnerDelete)];
}
