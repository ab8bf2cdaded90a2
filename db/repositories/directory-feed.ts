/**
 * The directory feed's statements: the view a batch is decided against (every stored row it
 * touches or refers to, in a handful of set-based queries) and the writes of what it applied
 * (one statement per table, however many records). Both run in one transaction that holds the
 * feed's advisory lock, so two feeds never decide against the same view; every upsert is still
 * conditional on the stored version (`where version < excluded.version`).
 */
import { sql } from 'kysely';
import type { Db } from '../connect';
import type { DirectoryEntity, OrganizationStatus, PartnerKind, UserRole } from '../schema';
import type { PsaKind } from '../../psa/core/types';
import { emptyView, tombstoneKey, type DirectoryView, type DirectoryWrites } from '../../domain/directory';

/** Ids a batch touches or refers to, by table. */
export interface DirectoryRefs {
  partnerIds: string[];
  userIds: string[];
  emails: string[];
  planIds: string[];
  organizationIds: string[];
  /** Partners and plans the batch deletes: their live sub-resellers and organizations are loaded too. */
  deletedPartnerIds: string[];
  deletedPlanIds: string[];
  /** Plans the batch upserts: their live organizations are loaded (an assignment they rely on must stay). */
  upsertedPlanIds: string[];
}

/** Runs `work` in one transaction holding the feed's lock, so feeds never interleave. */
export async function inDirectoryTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('psa-sync:directory-feed'))`.execute(trx);
    return work(trx);
  });
}

const uuids = (ids: readonly string[]) => sql`${[...new Set(ids)]}::uuid[]`;

export async function loadDirectoryView(trx: Db, refs: DirectoryRefs): Promise<DirectoryView> {
  const view = emptyView();
  // Partners named, their ancestors (cycle checks) and the live sub-resellers of those deleted.
  const partners = await sql<{ id: string; name: string; kind: PartnerKind; parentId: string | null; version: string; deleted: boolean }>`
    with recursive chain as (
      select id, parent_id from partners where id = any(${uuids(refs.partnerIds)})
      union
      select p.id, p.parent_id from partners p join chain c on p.id = c.parent_id
    )
    select p.id, p.name, p.kind, p.parent_id, p.version, p.deleted_at is not null as deleted
    from partners p
    where p.id in (select id from chain)
       or (p.parent_id = any(${uuids(refs.deletedPartnerIds)}) and p.deleted_at is null)`.execute(trx);
  for (const p of partners.rows) view.partners.set(p.id, { ...p, version: Number(p.version) });

  const users = await trx
    .selectFrom('users')
    .select(['id', 'partnerId', 'email', 'role', 'active', 'version'])
    .where((eb) => eb.or([eb('id', '=', sql<string>`any(${uuids(refs.userIds)})`), eb('email', '=', sql<string>`any(${[...new Set(refs.emails)]}::text[])`)]))
    .execute();
  for (const u of users) {
    view.users.set(u.id, { ...u, role: u.role as UserRole, version: Number(u.version) });
    view.emails.set(u.email, u.id);
  }

  // Organizations named and the live ones on plans the batch deletes or changes, with their mapping.
  const orgs = await trx
    .selectFrom('organizations as o')
    .leftJoin('organizationMappings as m', 'm.organizationId', 'o.id')
    .select(['o.id', 'o.partnerId', 'o.planId', 'o.name', 'o.seatCount', 'o.status', 'o.version', 'm.connectionId', 'm.psa', 'm.flag', 'm.planId as mappedPlanId'])
    .where((eb) =>
      eb.or([eb('o.id', '=', sql<string>`any(${uuids(refs.organizationIds)})`), eb.and([eb('o.planId', '=', sql<string>`any(${uuids([...refs.deletedPlanIds, ...refs.upsertedPlanIds])})`), eb('o.status', '<>', 'deleted')])]),
    )
    .execute();
  for (const o of orgs) {
    view.organizations.set(o.id, {
      id: o.id,
      partnerId: o.partnerId,
      planId: o.planId,
      name: o.name,
      seatCount: o.seatCount,
      status: o.status as OrganizationStatus,
      version: Number(o.version),
      mapping: o.connectionId && o.psa ? { connectionId: o.connectionId, psa: o.psa as PsaKind, flag: o.flag, planId: o.mappedPlanId } : null,
    });
  }

  const planIds = [...refs.planIds, ...orgs.map((o) => o.planId)];
  const plans = await sql<{ id: string; partnerId: string; name: string; version: string; deleted: boolean; assignedTo: string[]; mappedOn: string[] }>`
    select p.id, p.partner_id, p.name, p.version, p.deleted_at is not null as deleted,
      coalesce((select array_agg(a.partner_id::text) from plan_assignments a where a.plan_id = p.id), '{}') as assigned_to,
      coalesce((select array_agg(m.connection_id::text) from plan_mappings m where m.plan_id = p.id), '{}') as mapped_on
    from plans p where p.id = any(${uuids(planIds)})`.execute(trx);
  for (const p of plans.rows) view.plans.set(p.id, { ...p, version: Number(p.version) });

  const keys = [
    ...refs.partnerIds.map((id) => ['partner', id]),
    ...refs.userIds.map((id) => ['user', id]),
    ...refs.planIds.map((id) => ['plan', id]),
    ...refs.organizationIds.map((id) => ['organization', id]),
  ];
  if (keys.length > 0) {
    const tombs = await sql<{ entity: DirectoryEntity; id: string; version: string }>`
      select t.entity, t.id, t.version from directory_tombstones t
      join jsonb_to_recordset(${JSON.stringify(keys.map(([entity, id]) => ({ entity, id })))}::jsonb) as k(entity text, id uuid)
        on k.entity = t.entity and k.id = t.id`.execute(trx);
    for (const t of tombs.rows) view.tombstones.set(tombstoneKey(t.entity, t.id), Number(t.version));
  }
  return view;
}

const json = (rows: unknown[]) => sql`${JSON.stringify(rows)}::jsonb`;

/** Writes what the batch applied: one statement per table that changed. */
export async function writeDirectory(trx: Db, w: DirectoryWrites): Promise<void> {
  const now = new Date().toISOString();
  if (w.partners.size > 0) {
    const rows = [...w.partners.values()].map((p) => ({ id: p.id, name: p.name, kind: p.kind, parent_id: p.parentId, version: p.version, deleted_at: p.deleted ? now : null }));
    // One statement: a sub-reseller's parent may be a row of the same statement (foreign keys are checked at its end).
    await sql`
      insert into partners (id, name, kind, parent_id, version, deleted_at)
      select id, name, kind, parent_id, version, deleted_at
      from jsonb_to_recordset(${json(rows)}) as x(id uuid, name text, kind text, parent_id uuid, version bigint, deleted_at timestamptz)
      on conflict (id) do update set name = excluded.name, kind = excluded.kind, parent_id = excluded.parent_id, version = excluded.version,
        deleted_at = case when excluded.deleted_at is null then null else coalesce(partners.deleted_at, excluded.deleted_at) end
      where partners.version < excluded.version`.execute(trx);
  }
  if (w.plans.size > 0) {
    const rows = [...w.plans.values()].map((p) => ({ id: p.id, partner_id: p.partnerId, name: p.name, version: p.version, deleted_at: p.deleted ? now : null }));
    await sql`
      insert into plans (id, partner_id, name, version, deleted_at)
      select id, partner_id, name, version, deleted_at
      from jsonb_to_recordset(${json(rows)}) as x(id uuid, partner_id uuid, name text, version bigint, deleted_at timestamptz)
      on conflict (id) do update set partner_id = excluded.partner_id, name = excluded.name, version = excluded.version,
        deleted_at = case when excluded.deleted_at is null then null else coalesce(plans.deleted_at, excluded.deleted_at) end
      where plans.version < excluded.version`.execute(trx);
    const live = [...w.plans.values()].filter((p) => !p.deleted);
    await sql`delete from plan_assignments where plan_id = any(${uuids(live.map((p) => p.id))})`.execute(trx);
    const assignments = live.flatMap((p) => p.assignedTo.map((partnerId) => ({ plan_id: p.id, partner_id: partnerId })));
    if (assignments.length > 0) {
      await sql`insert into plan_assignments (plan_id, partner_id) select plan_id, partner_id from jsonb_to_recordset(${json(assignments)}) as x(plan_id uuid, partner_id uuid)`.execute(trx);
    }
  }
  if (w.deletedUsers.size > 0) await sql`delete from users where id = any(${uuids([...w.deletedUsers])})`.execute(trx);
  if (w.users.size > 0) {
    const rows = [...w.users.values()].map((u) => ({ id: u.id, partner_id: u.partnerId, email: u.email, role: u.role, active: u.active, version: u.version }));
    // Emails changing hands within the batch: free them first, so the unique index never sees both.
    await sql`
      update users u set email = 'moving:' || u.id::text
      from jsonb_to_recordset(${json(rows)}) as x(id uuid, email text, version bigint)
      where u.id = x.id and u.email <> x.email and u.version < x.version`.execute(trx);
    await sql`
      insert into users (id, partner_id, email, role, active, version)
      select id, partner_id, email, role, active, version
      from jsonb_to_recordset(${json(rows)}) as x(id uuid, partner_id uuid, email text, role text, active boolean, version bigint)
      on conflict (id) do update set partner_id = excluded.partner_id, email = excluded.email, role = excluded.role, active = excluded.active, version = excluded.version
      where users.version < excluded.version`.execute(trx);
  }
  if (w.organizations.size > 0) {
    const rows = [...w.organizations.values()].map((o) => ({ id: o.id, partner_id: o.partnerId, plan_id: o.planId, name: o.name, seat_count: o.seatCount, status: o.status, version: o.version }));
    await sql`
      insert into organizations (id, partner_id, plan_id, name, seat_count, status, version)
      select id, partner_id, plan_id, name, seat_count, status, version
      from jsonb_to_recordset(${json(rows)}) as x(id uuid, partner_id uuid, plan_id uuid, name text, seat_count integer, status text, version bigint)
      on conflict (id) do update set partner_id = excluded.partner_id, plan_id = excluded.plan_id, name = excluded.name, seat_count = excluded.seat_count,
        status = excluded.status, version = excluded.version, updated_at = now()
      where organizations.version < excluded.version`.execute(trx);
  }
  if (w.flags.size > 0) {
    const rows = [...w.flags].map(([organizationId, flag]) => ({ organization_id: organizationId, flag }));
    await sql`
      update organization_mappings m set flag = x.flag, updated_at = now()
      from jsonb_to_recordset(${json(rows)}) as x(organization_id uuid, flag text)
      where m.organization_id = x.organization_id and m.flag is distinct from x.flag`.execute(trx);
  }
  if (w.tombstones.size > 0) {
    await sql`
      insert into directory_tombstones (entity, id, version)
      select entity, id, version from jsonb_to_recordset(${json([...w.tombstones.values()])}) as x(entity text, id uuid, version bigint)
      on conflict (entity, id) do update set version = greatest(directory_tombstones.version, excluded.version), deleted_at = now()`.execute(trx);
  }
  if (w.cleared.size > 0) {
    const rows = [...w.cleared].map((k) => ({ entity: k.slice(0, k.indexOf(':')), id: k.slice(k.indexOf(':') + 1) }));
    await sql`delete from directory_tombstones t using jsonb_to_recordset(${json(rows)}) as x(entity text, id uuid) where t.entity = x.entity and t.id = x.id`.execute(trx);
  }
}

/** Mappings of organizations the platform deleted that are still in place: each is unlinked through its lifecycle. */
export async function mappingsOfDeletedOrganizations(db: Db, organizationIds: readonly string[]) {
  if (organizationIds.length === 0) return [];
  return db
    .selectFrom('organizationMappings as m')
    .innerJoin('organizations as o', 'o.id', 'm.organizationId')
    .innerJoin('connections as c', 'c.id', 'm.connectionId')
    .select(['m.organizationId', 'c.partnerId', 'm.psa'])
    .where('o.status', '=', 'deleted')
    .where('m.organizationId', '=', sql<string>`any(${uuids(organizationIds)})`)
    .execute();
}

/** Live connections of partners the platform deleted: each integration is revoked through its lifecycle. */
export async function connectionsOfDeletedPartners(db: Db, partnerIds: readonly string[]) {
  if (partnerIds.length === 0) return [];
  return db
    .selectFrom('connections as c')
    .innerJoin('partners as p', 'p.id', 'c.partnerId')
    .select(['c.partnerId', 'c.psa'])
    .where('p.deletedAt', 'is not', null)
    .where('c.status', 'in', ['connected', 'revoking'])
    .where('c.partnerId', '=', sql<string>`any(${uuids(partnerIds)})`)
    .execute();
}
